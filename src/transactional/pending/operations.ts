import { newId } from '../../envelope/index.js';
import { SwitchyardError } from '../../errors/index.js';
import type { OperationRecord, OutboxTransaction, TransactionalStore } from '../types.js';

export interface PendingOperationsOptions<Tx extends OutboxTransaction> {
  readonly store: TransactionalStore<Tx>;
  /** Where the status endpoint answers: `GET <basePath>/<id>`. Default `/operations`. */
  readonly basePath?: string;
  /** Default time a PENDING operation may wait for its replies before it becomes EXPIRED; none by default. */
  readonly timeoutMs?: number;
  /** How often overdue operations are expired; default 1000 ms. */
  readonly expiryIntervalMs?: number;
  /** What a client is told to wait before polling again; default 1 s. */
  readonly retryAfterSeconds?: number;
}

/** What a client sees when it polls an operation. */
export interface OperationStatus {
  readonly id: string;
  readonly kind: string;
  /** `PENDING`, then the status it finished with (e.g. `APPROVED`, `REJECTED`), `FAILED` or `EXPIRED`. */
  readonly status: string;
  readonly done: boolean;
  /** Where the resource the operation creates or changes lives. */
  readonly resource?: string;
  readonly result?: unknown;
  readonly error?: unknown;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The parts of a `202 Accepted` answer: the status URL to poll, and how soon. */
export interface Accepted {
  readonly status: 202;
  readonly headers: { readonly location: string; readonly 'retry-after': string };
  readonly body: OperationStatus;
}

export interface PendingOperations<Tx extends OutboxTransaction> {
  /**
   * Records a PENDING operation in the request's transaction (with the business row and the outbox
   * messages that ask for the replies), so the three commit or roll back together.
   */
  begin(
    tx: Tx,
    init: { kind: string; id?: string; resource?: string; timeoutMs?: number },
  ): Promise<OperationStatus>;
  /**
   * Finishes it with a business status (`APPROVED`, `REJECTED`, …), usually in the transaction of
   * the reply's handler. False when it was no longer PENDING (a duplicate reply, or expired).
   */
  complete(
    tx: Tx,
    id: string,
    outcome: { status: string; result?: unknown; resource?: string },
  ): Promise<boolean>;
  /** Finishes it as FAILED with the error a client reads. */
  fail(tx: Tx, id: string, error: unknown): Promise<boolean>;
  get(id: string): Promise<OperationStatus | undefined>;
  /** The `202 Accepted` answer for a freshly begun operation. */
  accepted(operation: OperationStatus): Accepted;
  /** The status URL of an operation. */
  location(id: string): string;
  /** Resolves once the operation is no longer PENDING, or with its PENDING status after `timeoutMs`. */
  waitFor(id: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<OperationStatus>;
  /** Expires overdue operations now (also done on a timer); returns their ids. */
  expireOverdue(): Promise<string[]>;
  close(): void;
}

export function statusOf(record: OperationRecord): OperationStatus {
  return {
    id: record.id,
    kind: record.kind,
    status: record.status,
    done: record.status !== 'PENDING',
    ...(record.resource === undefined ? {} : { resource: record.resource }),
    ...(record.result === undefined ? {} : { result: record.result }),
    ...(record.error === undefined ? {} : { error: record.error }),
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
  };
}

/**
 * Finishing work after the response: the API answers at once with a PENDING resource and a status URL,
 * and the operation is confirmed later, when the asynchronous replies arrive.
 */
export function pendingOperations<Tx extends OutboxTransaction>(
  options: PendingOperationsOptions<Tx>,
): PendingOperations<Tx> {
  const { store } = options;
  const basePath = (options.basePath ?? '/operations').replace(/\/+$/, '');
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const expire = () => store.operations.expire(Date.now());
  const timer = setInterval(() => void expire().catch(() => {}), options.expiryIntervalMs ?? 1_000);
  timer.unref();

  const finish = (tx: Tx, id: string, update: Parameters<typeof store.operations.finish>[2]) => {
    if (update.status === 'PENDING')
      throw new SwitchyardError('INVALID_ARGUMENT', 'An operation cannot be finished as PENDING');
    return store.operations.finish(tx, id, update);
  };

  const get = async (id: string) => {
    const record = await store.operations.get(id);
    return record && statusOf(record);
  };

  return {
    async begin(tx, init) {
      const now = Date.now();
      const timeoutMs = init.timeoutMs ?? options.timeoutMs;
      const record: OperationRecord = {
        id: init.id ?? newId(),
        kind: init.kind,
        status: 'PENDING',
        ...(init.resource === undefined ? {} : { resource: init.resource }),
        createdAt: now,
        updatedAt: now,
        ...(timeoutMs === undefined ? {} : { expiresAt: now + timeoutMs }),
      };
      await store.operations.insert(tx, record);
      return statusOf(record);
    },
    complete: (tx, id, outcome) => finish(tx, id, outcome),
    fail: (tx, id, error) =>
      finish(tx, id, { status: 'FAILED', error: SwitchyardError.from(error).toJSON() }),
    get,
    accepted: (operation) => ({
      status: 202,
      headers: { location: `${basePath}/${encodeURIComponent(operation.id)}`, 'retry-after': retryAfter },
      body: operation,
    }),
    location: (id) => `${basePath}/${encodeURIComponent(id)}`,
    async waitFor(id, waitOptions = {}) {
      const deadline = Date.now() + (waitOptions.timeoutMs ?? 30_000);
      for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
        const status = await get(id);
        if (!status) throw new SwitchyardError('NOT_FOUND', `No operation ${id}`, { details: { id } });
        if (status.done || Date.now() >= deadline || waitOptions.signal?.aborted) return status;
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))),
        );
      }
    },
    expireOverdue: expire,
    close: () => clearInterval(timer),
  };
}
