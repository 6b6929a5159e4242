import type { Instance, InstanceSet, Registration } from './types.js';

/**
 * The hub registry's HTTP API, shared by the hub (server) and the runtime (client).
 *
 *   PUT    /v1/registry/instances/:id             body Registration → 200 Instance      (register or replace)
 *   PUT    /v1/registry/instances/:id/heartbeat                     → 200 | 404          (TTL heartbeat)
 *   DELETE /v1/registry/instances/:id                              → 204                (graceful deregister)
 *   GET    /v1/registry/services                                   → 200 { services: string[] }
 *   GET    /v1/registry/services/:service?index=N&wait=30s&major=M
 *          → 200 InstanceSet: passing instances only; with `index`, blocks until the set's index is
 *            greater than N or `wait` passes (Consul-style blocking query)
 *   GET    /v1/registry/services/:service/events               → text/event-stream, one `event: instances`
 *            with `data: InstanceSet` now and after every change (`id:` is the index)
 *   GET    /v1/registry/instances?service=S                     → 200 { instances: Instance[] } (all states)
 *
 * Writes carry `authorization: Bearer <token>` when the hub was started with a token; the hub
 * requires one whenever it listens on a non-loopback address. Errors are problem+json (docs/errors.md).
 */
export const registryPaths = {
  instance: (id: string) => `/v1/registry/instances/${encodeURIComponent(id)}`,
  heartbeat: (id: string) => `/v1/registry/instances/${encodeURIComponent(id)}/heartbeat`,
  services: '/v1/registry/services',
  service: (service: string) => `/v1/registry/services/${encodeURIComponent(service)}`,
  events: (service: string) => `/v1/registry/services/${encodeURIComponent(service)}/events`,
  instances: '/v1/registry/instances',
} as const;

export type RegisterRequest = Registration;
export type RegisterResponse = Instance;
export type ServiceResponse = InstanceSet;
export interface ServicesResponse {
  services: string[];
}
export interface InstancesResponse {
  instances: Instance[];
}

/**
 * The hub's feature-flag API (documents as in docs/flags.md), read by `hubFlagSource`:
 *
 *   GET    /v1/flags?index=N&wait=30s  → 200 FlagsResponse; with `index`, a blocking query as above
 *   PUT    /v1/flags                   body { flags } → 200 FlagsResponse   (replaces every flag)
 *   PUT    /v1/flags/:key              body FlagDefinition → 200 FlagsResponse
 *   DELETE /v1/flags/:key                                  → 200 FlagsResponse
 *
 * Writes need the token like registry writes, are validated (400 with violations) and may carry
 * `if-match: "<index>"` to fail with 412 when someone else changed the flags first.
 */
export const flagPaths = {
  flags: '/v1/flags',
  flag: (key: string) => `/v1/flags/${encodeURIComponent(key)}`,
} as const;

export interface FlagsResponse {
  /** Grows with every change; the `x-switchyard-index` header and ETag carry it too. */
  index: number;
  flags: Record<string, unknown>;
}

/** Defaults of `switchyard hub`. */
export const hubDefaults = {
  host: '127.0.0.1',
  port: 7070,
  dnsPort: 8600,
  domain: 'switchyard',
  ttlSeconds: 10,
  /** Missed heartbeats (of `ttlSeconds` each) before an instance is evicted. */
  evictAfter: 3,
} as const;
