import { describeRpcTransport, type RpcHarness } from '../conformance/suite.js';
import { staticEndpoint } from '../endpoint.js';
import type { Host } from '../../runtime/index.js';
import { createHttpServer, type HttpServer } from './server.js';
import { httpTransport } from './transport.js';

const bodyLimitBytes = 16 * 1024;

function harness(codec: 'json' | 'msgpack'): RpcHarness {
  return {
    async serve(host: Host) {
      let server: HttpServer = createHttpServer({ host, bodyLimitBytes });
      const { port, address } = await server.listen();
      return {
        transport: () => httpTransport({ endpoints: staticEndpoint(address), codec }),
        close: (options) => server.close(options),
        async restart() {
          await server.close({ graceMs: 0 });
          server = createHttpServer({ host, port, bodyLimitBytes });
          await server.listen();
        },
      };
    },
    capabilities: {
      cancellation: true,
      notSent: true,
      gracefulClose: true,
      payloadLimitBytes: bodyLimitBytes,
    },
  };
}

describeRpcTransport('HTTP (JSON)', harness('json'));
describeRpcTransport('HTTP (MessagePack)', harness('msgpack'));
