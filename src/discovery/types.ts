/**
 * The seams of service discovery. A registry backend stores instances (hub SQLite, etcd); a resolver
 * answers "which instances serve this service now" (registry watch, DNS, static list); transports
 * pick one of those instances per call through a balancer.
 */

export type Protocol = 'http' | 'grpc' | 'nats';

export type HealthState = 'passing' | 'warning' | 'critical';

/** One running copy of a service, as registered. */
export interface Instance {
  /** Unique per instance (e.g. `orders-7f3a`). */
  readonly id: string;
  /** Contract name, e.g. `orders`. */
  readonly service: string;
  /** Contract version the instance serves, e.g. `1.4.0`. */
  readonly version: string;
  /** `host:port` per protocol the instance serves. */
  readonly endpoints: Readonly<Partial<Record<Protocol, string>>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly zone?: string;
  readonly health: HealthState;
}

/** What an instance sends to register itself. */
export interface Registration {
  id: string;
  service: string;
  version: string;
  endpoints: Partial<Record<Protocol, string>>;
  labels?: Record<string, string>;
  zone?: string;
  /** Heartbeat TTL in seconds; missing `evictAfter` heartbeats evicts the instance. */
  ttlSeconds?: number;
  /** Active check the registry runs against the instance. */
  check?: HealthCheck;
}

/** When and how often a check runs, and how many results in a row change the state (flap damping). */
export interface CheckTiming {
  intervalSeconds?: number;
  timeoutSeconds?: number;
  /** Consecutive failed checks before a passing instance becomes `critical` (default 1). */
  failuresBeforeCritical?: number;
  /** Consecutive passed checks before an instance that failed is `passing` again (default 1). */
  successesBeforePassing?: number;
}

export type HealthCheck =
  | ({ type: 'http'; url: string } & CheckTiming)
  | ({ type: 'tcp'; address: string } & CheckTiming)
  | ({ type: 'grpc'; address: string; service?: string } & CheckTiming);

/** A consistent view of the instances of one service at a registry index (as Consul's blocking queries). */
export interface InstanceSet {
  readonly service: string;
  /** Monotonic per registry; a watcher passes the last index it saw and gets the next change. */
  readonly index: number;
  readonly instances: readonly Instance[];
}

/** Answers which instances serve a service; keeps answering from its cache when its source is down. */
export interface Resolver {
  /** Healthy instances of the service, optionally of one major version. */
  resolve(service: string, options?: { major?: number }): Promise<readonly Instance[]>;
  /** Called with the full set after each change; returns a function that stops watching. */
  watch?(service: string, listener: (instances: readonly Instance[]) => void): () => void;
  close?(): Promise<void>;
}
