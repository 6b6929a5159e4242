export { createHost, serviceKey, type Host, type HostOptions } from './host.js';
export { Context, deadlineExceeded, errorOfAbort, neverAborted, type ContextInit } from './context.js';
export { LazyAbort, onSignalAbort, type Abortable } from './abort.js';
export { compose, type Call, type Interceptor, type Next } from './call.js';
export { enforceDeadline } from './deadline.js';
export { validateInbound, validateOutbound, checkInput } from './validation.js';
export type { Transport, TransportResolver } from './transport.js';
export type { ClientOptions } from './client.js';
export type { CallOptions, Client, Handler, Implementation } from './types.js';
export {
  defineService,
  isServiceDefinition,
  startService,
  type ServiceDefinition,
  type ServiceEnv,
  type StartedService,
} from './service.js';
