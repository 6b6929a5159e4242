export type {
  BackendCapabilities,
  BackendOptions,
  RegistryBackend,
  RegistryChange,
  RegistryEntry,
  RegistrySnapshot,
  UpsertOptions,
} from './types.js';
export { createSqliteBackend, type SqliteBackendOptions } from './sqlite.js';
export { createEtcdBackend, type EtcdBackendOptions } from './etcd.js';
export {
  createRegistry,
  servedStates,
  type Registry,
  type RegistryOptions,
  type WaitOptions,
} from './registry.js';
export { createHealthChecker, type HealthCheckerOptions, type Transition } from './health-checker.js';
export { createProber, type Probe, type Prober } from './probes.js';
export { parseRegistration, checkDefaults, type ValidateOptions } from './schema.js';
