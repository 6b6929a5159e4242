import { describeRpcTransport } from '../conformance/suite.js';
import { staticEndpoint } from '../endpoint.js';
import type { Host } from '../../runtime/index.js';
import { createGrpcServer, type GrpcServer } from './server.js';
import { grpcTransport } from './transport.js';

describeRpcTransport('gRPC', {
  async serve(host: Host) {
    let server: GrpcServer = createGrpcServer({ host });
    const { port } = await server.listen();
    return {
      transport: () => grpcTransport({ endpoints: staticEndpoint(`127.0.0.1:${port}`) }),
      close: (options) => server.close(options),
      async restart() {
        await server.close({ graceMs: 0 });
        server = createGrpcServer({ host, port });
        await server.listen();
      },
    };
  },
  capabilities: {
    cancellation: true,
    notSent: true,
    gracefulClose: true,
    // No payloadLimitBytes: grpc-js rejects an oversized message itself, from its length prefix and
    // before any handler runs, as RESOURCE_EXHAUSTED without our trailer (see the gRPC section of docs/rpc.md).
  },
});
