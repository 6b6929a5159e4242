import { describeRpcTransport, type RpcHarness } from '../conformance/suite.js';
import type { Host } from '../../runtime/index.js';
import { natsServers, rawConnection, uniqueName } from '../../../test/rpc/fixtures/nats-support.js';
import { createNatsServer, type NatsServer } from './server.js';
import { natsTransport, type NatsCodecName } from './transport.js';

// The limit is the NATS server's own max_payload: nats.js refuses a larger message before sending it.
const probe = await rawConnection();
const maxPayload = probe.info?.max_payload ?? 1024 * 1024;
await probe.close();

function harness(codec: NatsCodecName): RpcHarness {
  return {
    async serve(host: Host) {
      // Subjects unique per served host: the NATS server is shared with other test runs.
      const subjectPrefix = uniqueName('sy-conformance');
      const create = () => createNatsServer({ host, servers: natsServers, subjectPrefix });
      let server: NatsServer = create();
      await server.listen();
      return {
        transport: () => natsTransport({ servers: natsServers, subjectPrefix, codec }),
        close: (options) => server.close(options),
        async restart() {
          await server.close({ graceMs: 0 });
          server = create();
          await server.listen();
        },
      };
    },
    capabilities: {
      // Request-reply has no message telling the server the caller gave up; the server's context
      // still aborts at the deadline it was sent.
      cancellation: false,
      notSent: true,
      gracefulClose: true,
      payloadLimitBytes: maxPayload,
    },
  };
}

describeRpcTransport('NATS (JSON)', harness('json'));
describeRpcTransport('NATS (MessagePack)', harness('msgpack'));
