import type { HealthCheck, HealthState, Instance, Registration } from '../types.js';

/** What a backend keeps per instance: the instance as served, plus what the hub needs to police it. */
export interface RegistryEntry {
  readonly instance: Instance;
  /** Heartbeat interval the instance promised; it is evicted after `ttlSeconds × evictAfter` of silence. */
  readonly ttlSeconds: number;
  readonly check?: HealthCheck;
}

/** The entries of one service (or of all services) as of one registry index. */
export interface RegistrySnapshot {
  /**
   * For one service: the index of its last change (or the registry's current index when the backend
   * has seen no change of it). For all services: the registry's current index.
   */
  readonly index: number;
  readonly entries: readonly RegistryEntry[];
}

/**
 * One change, delivered after it is visible to `list`. `upsert` covers registration and replacement,
 * `health` a health transition, `remove` deregistration and eviction alike.
 */
export type RegistryChange =
  | { readonly type: 'upsert' | 'health'; readonly index: number; readonly entry: RegistryEntry }
  | { readonly type: 'remove'; readonly index: number; readonly service: string; readonly id: string };

export interface UpsertOptions {
  /** Health the instance starts with (default `passing`); the registry passes the first check's result. */
  health?: HealthState;
}

/**
 * Where instances live. Implementations: SQLite (one hub, survives restarts) and etcd (several hubs
 * share one registry). Both pass `conformance.ts`.
 *
 * Contract:
 * - Every change gets an index greater than every earlier one (SQLite: a counter; etcd: the revision).
 * - A write resolves only once `list` on the same backend shows it (read your writes).
 * - `watch` listeners are called once per change, in index order, never for heartbeats, and never for
 *   a `setHealth` that does not change the state.
 * - Expiry is the backend's job: an entry that gets no `heartbeat` (nor `upsert`) for
 *   `ttlSeconds × evictAfter` is removed, with a `remove` change.
 */
export interface RegistryBackend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  /** Registers or replaces (same id) an instance; counts as a heartbeat. */
  upsert(registration: Registration, options?: UpsertOptions): Promise<Instance>;
  /** Pushes the eviction deadline back; false when the instance is unknown (evicted or never registered). */
  heartbeat(id: string): Promise<boolean>;
  /** False when the instance was not registered. */
  remove(id: string): Promise<boolean>;
  /** False when the instance is unknown. Setting the state it already has changes nothing. */
  setHealth(id: string, state: HealthState): Promise<boolean>;
  /** Every state, for one service or for all. */
  list(service?: string): Promise<RegistrySnapshot>;
  /** Returns a function that stops the listener. */
  watch(listener: (change: RegistryChange) => void): () => void;
  /**
   * Shared backends only: whether this hub runs the instance's active checks. Hubs split instances
   * between them so each is probed once per interval, and two hubs never fight over its state.
   * Absent: this hub checks every instance.
   */
  owns?(instanceId: string): boolean;
  close(): Promise<void>;
}

/** What a backend can promise, declared honestly; the conformance suite skips what is absent. */
export interface BackendCapabilities {
  /** Entries survive closing and reopening the backend on the same storage. */
  readonly persistent: boolean;
  /** Several backends (hubs) on the same storage see each other's writes and heartbeats. */
  readonly shared: boolean;
}

export interface BackendOptions {
  /** Missed heartbeats before eviction (default `hubDefaults.evictAfter`). */
  evictAfter?: number;
}
