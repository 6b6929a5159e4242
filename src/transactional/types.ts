import type { MessageSink } from '../messaging/bus/types.js';

export type { MessageSink };

/** A database transaction that can also write messages: what `store.transaction(fn)` hands to `fn`. */
export interface OutboxTransaction {
  /**
   * Writes prepared messages to the outbox table in this transaction: pass it as the `sink` of
   * `bus.send/publish/request`. Commit makes them visible to the relay; rollback discards them.
   */
  readonly outbox: MessageSink;
}

/** Rows a store keeps after their work is done, and for how long. */
export interface Retention {
  /** Published outbox rows; 0 deletes a row as soon as the broker confirmed it. Default 10 minutes. */
  readonly publishedMs?: number;
  /**
   * Processed message ids of the inbox. Must exceed the longest time a message can still be
   * redelivered (broker retention, dead-letter replays). Default 7 days.
   */
  readonly processedMs?: number;
  /** Finished pending operations. Default 7 days. */
  readonly operationsMs?: number;
}

export const defaultRetention = {
  publishedMs: 10 * 60_000,
  processedMs: 7 * 24 * 3_600_000,
  operationsMs: 7 * 24 * 3_600_000,
} as const satisfies Required<Retention>;

export interface Backlog {
  /** Outbox rows not yet confirmed by the broker. */
  readonly unpublished: number;
  /** Age of the oldest of them; null when there are none. */
  readonly oldestAgeMs: number | null;
  /** Unpublished rows whose last relay attempt failed. */
  readonly failing: number;
}

export interface CleanupResult {
  readonly outbox: number;
  readonly inbox: number;
  readonly operations: number;
}

/** Inbox bookkeeping inside a transaction. */
export interface InboxTable<Tx> {
  /** Records `(group, messageId)`; `first` is false when it was already there (with the result stored then). */
  claim(tx: Tx, group: string, messageId: string): Promise<{ first: boolean; result?: unknown }>;
  saveResult(tx: Tx, group: string, messageId: string, result: unknown): Promise<void>;
}

export interface OperationRecord {
  readonly id: string;
  readonly kind: string;
  /** `PENDING` until finished; then the status it was finished with (e.g. `APPROVED`), or `FAILED`. */
  readonly status: string;
  readonly resource?: string;
  readonly result?: unknown;
  readonly error?: unknown;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt?: number;
}

/** Pending-operation rows, inside a transaction or on their own. */
export interface OperationsTable<Tx> {
  insert(tx: Tx, record: OperationRecord): Promise<void>;
  /** Moves a PENDING operation to its final status; false when it was not PENDING (finished already, or unknown). */
  finish(
    tx: Tx,
    id: string,
    update: { status: string; result?: unknown; error?: unknown; resource?: string },
  ): Promise<boolean>;
  get(id: string): Promise<OperationRecord | undefined>;
  /** Marks PENDING operations past their `expiresAt` as EXPIRED; returns their ids. */
  expire(now: number): Promise<string[]>;
}

/** What the inbox, the operations helper and the metrics need from a store; both stores implement it. */
export interface TransactionalStore<Tx extends OutboxTransaction = OutboxTransaction> {
  readonly dialect: 'postgres' | 'sqlite';
  /** Runs `fn` in one database transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  readonly inbox: InboxTable<Tx>;
  readonly operations: OperationsTable<Tx>;
  backlog(): Promise<Backlog>;
  /** Deletes what the retention settings no longer keep; relays and the inbox call it on a timer. */
  cleanup(): Promise<CleanupResult>;
  close(): Promise<void>;
}
