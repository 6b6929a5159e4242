import type { Host } from '../../runtime/index.js';
import { createGrpcServer } from '../grpc/index.js';
import type { ProcessServer } from './run.js';

/** The process's services over gRPC on a free loopback port, for `ServiceProcessOptions.servers`. */
export function grpcProcessServer(host: Host): ProcessServer {
  const grpc = createGrpcServer({ host });
  return {
    protocol: 'grpc',
    listen: async () => `127.0.0.1:${(await grpc.listen()).port}`,
    close: (options) => grpc.close(options),
  };
}
