export { staticEndpoint, type Endpoint, type EndpointPicker, type Outcome } from './endpoint.js';
export { createHttpServer, type HttpServer, type HttpServerOptions } from './http/server.js';
export { httpTransport, type HttpTransportOptions } from './http/transport.js';
export { routeOf, type HttpRoute } from './http/mapping.js';
export {
  runServiceProcess,
  type ProcessEndpoints,
  type ProcessServer,
  type Registrar,
  type ServiceProcess,
  type ServiceProcessOptions,
} from './service-process/run.js';
export { grpcProcessServer } from './service-process/grpc.js';
export type { RpcCapabilities, RpcHarness, ServedRpc } from './conformance/suite.js';
export {
  createGrpcServer,
  grpcTransport,
  grpcServiceName,
  grpcMethodName,
  grpcMethodPath,
  type GrpcServer,
  type GrpcServerOptions,
  type GrpcCloseOptions,
  type GrpcTransportOptions,
} from './grpc/index.js';
export { reflectedService, reflectionClient } from './grpc/reflection-client.js';
export {
  createNatsServer,
  natsTransport,
  operationSubject,
  queueGroup,
  type NatsServer,
  type NatsServerOptions,
  type NatsTransportOptions,
  type NatsCodecName,
} from './nats/index.js';
export * from './balancer/index.js';
export {
  remoteServices,
  defaultResilience,
  type RemoteServices,
  type RemoteServicesOptions,
  type RemoteProtocol,
} from './remote-services.js';
