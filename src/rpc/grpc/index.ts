export {
  createGrpcServer,
  type GrpcCloseOptions,
  type GrpcServer,
  type GrpcServerOptions,
} from './server.js';
export { grpcTransport, type GrpcTransportOptions } from './transport.js';
export { grpcMethodName, grpcMethodPath, grpcServiceName } from './naming.js';
export { metadataKeys } from './metadata.js';
export { errorTrailer } from './status.js';
export { healthServiceName, type ServingStatus } from './health.js';
