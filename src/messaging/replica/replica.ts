import type { AnyContract, PayloadOf } from '../../contract/index.js';
import type { Messaging, ReceivedMessage, Subscription } from '../bus/index.js';
import { memoryReplicaStore, type ReplicaStore } from './store.js';

export type Appliers<C extends AnyContract, T> = {
  [K in keyof C['events']]?: (
    current: T | undefined,
    payload: PayloadOf<C['events'][K]>,
    message: ReceivedMessage,
  ) => T | undefined;
};

export interface ReplicaOptions<C extends AnyContract, T> {
  readonly bus: Messaging;
  /** The contract whose events feed the replica. */
  readonly contract: C;
  /** How each event changes the row of its key; returning undefined deletes the row. */
  readonly apply: Appliers<C, T>;
  /** The row an event belongs to; default the event's partition key. */
  readonly key?: (payload: unknown, message: ReceivedMessage) => string | undefined;
  /** Default: in memory (rebuilt from the channel's history at each start). */
  readonly store?: ReplicaStore<T>;
  /**
   * Every instance needs every event, so the group is per instance. Default: unique per process,
   * which suits an in-memory store on engines that give new groups the channel's history. With a
   * persistent store, give a stable name per instance so it resumes where it stopped.
   */
  readonly group?: string;
}

export interface Replica<T> {
  get(key: string): T | undefined;
  entries(): Iterable<[string, T]>;
  readonly size: number;
  /** Called after each applied change. Returns a function that stops listening. */
  onChange(listener: (key: string, value: T | undefined) => void): () => void;
  close(): Promise<void>;
}

/**
 * A local read model of another service's data, kept up to date from its events, so a service can
 * answer from its own copy instead of calling the owner synchronously. Changes of one key arrive in
 * order (same key, same partition); the copy is eventually consistent with the owner.
 */
export async function createReplica<C extends AnyContract, T>(
  options: ReplicaOptions<C, T>,
): Promise<Replica<T>> {
  const { bus, contract } = options;
  const store = options.store ?? memoryReplicaStore<T>();
  const listeners = new Set<(key: string, value: T | undefined) => void>();
  const keyOf = options.key ?? ((_payload: unknown, message: ReceivedMessage) => message.key);
  const handlers: Record<string, (payload: unknown, ctx: unknown, message: ReceivedMessage) => void> = {};
  for (const [event, apply] of Object.entries(options.apply)) {
    if (typeof apply !== 'function') continue;
    handlers[event] = (payload, _ctx, message) => {
      const key = keyOf(payload, message);
      if (key === undefined) throw new Error(`${message.type} has no key for the replica`);
      if (store.applied(key) === message.id) return;
      const value = apply(store.get(key), payload as never, message);
      store.put(key, value, message.id);
      for (const listener of listeners) listener(key, value);
    };
  }
  const subscription: Subscription = await bus.subscribe(contract, handlers as never, {
    group: options.group ?? `${bus.instance}.replica`,
  });
  return {
    get: (key) => store.get(key),
    entries: () => store.entries(),
    get size() {
      return store.size;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      await subscription.close();
      store.close();
    },
  };
}
