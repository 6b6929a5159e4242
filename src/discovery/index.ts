export type {
  HealthCheck,
  HealthState,
  Instance,
  InstanceSet,
  Protocol,
  Registration,
  Resolver,
} from './types.js';
export {
  hubDefaults,
  registryPaths,
  type InstancesResponse,
  type RegisterRequest,
  type RegisterResponse,
  type ServiceResponse,
  type ServicesResponse,
} from './hub-api.js';
export { hubResolver, type HubResolver, type HubResolverOptions } from './resolvers/hub.js';
export { dnsResolver, type DnsResolver, type DnsResolverOptions } from './resolvers/dns.js';
export { staticResolver, type StaticResolverOptions } from './resolvers/static.js';
export type { FreshEvent, StaleEvent } from './resolvers/common.js';
export {
  registrar,
  type Registrar,
  type RegistrarErrorEvent,
  type RegistrarOptions,
  type ServiceEndpoints,
} from './registrar.js';
