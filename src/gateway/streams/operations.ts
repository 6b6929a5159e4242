import { newId } from '../../envelope/index.js';
import { SwitchyardError, type WireError } from '../../errors/index.js';

/** What the operation-status resource shows about a command the gateway accepted. */
export interface OperationStatus {
  readonly id: string;
  /** `sent`: a one-way command is on its way; the others follow a command that answers. */
  readonly status: 'sent' | 'pending' | 'succeeded' | 'failed';
  readonly command: string;
  readonly createdAt: string;
  readonly result?: unknown;
  readonly error?: WireError;
}

/** A command just accepted: its first status, and its final one once the reply came (or failed). */
export interface AcceptedOperation {
  readonly status: OperationStatus;
  readonly settled: Promise<OperationStatus>;
}

/**
 * Where the statuses of accepted commands live. Only the caller who sent a command may read its
 * status (`owner`; undefined for anonymous callers); a status is kept `ttlMs` after acceptance.
 */
export interface OperationStore {
  /** Records a command whose outcome `work` brings (none: a one-way command, already sent). */
  start(
    command: string,
    owner: string | undefined,
    work: (() => Promise<unknown>) | undefined,
  ): Promise<AcceptedOperation>;
  get(id: string, owner: string | undefined): Promise<OperationStatus | undefined>;
  close(): Promise<void>;
}

export interface StoredOperation {
  readonly status: OperationStatus;
  readonly owner: string | undefined;
  readonly expires: number;
}

/** The first status of a command, and how to get its last one (`work` starts when `finish` is called). */
export function begin(
  command: string,
  work: (() => Promise<unknown>) | undefined,
): { first: OperationStatus; finish: () => Promise<OperationStatus> } {
  const base = { id: newId(), command, createdAt: new Date().toISOString() };
  const first: OperationStatus = { ...base, status: work ? 'pending' : 'sent' };
  const finish = (): Promise<OperationStatus> =>
    work
      ? work().then(
          (result) => ({ ...base, status: 'succeeded', result }),
          (error: unknown) => ({ ...base, status: 'failed', error: SwitchyardError.from(error).toJSON() }),
        )
      : Promise.resolve(first);
  return { first, finish };
}

/**
 * Statuses in this gateway's memory. Replies come back to the instance that sent the command, so
 * with one gateway (or clients that stay on one) this is all it takes; `redisOperationStore` shares
 * them between gateways.
 */
export function memoryOperationStore(options: { ttlMs?: number; max?: number } = {}): OperationStore & {
  /** Synchronous reads and writes, for the Redis store that keeps a local copy. */
  readonly local: {
    put(entry: StoredOperation): void;
    read(id: string, owner: string | undefined): OperationStatus | undefined;
  };
} {
  const entries = new Map<string, StoredOperation>();
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const max = options.max ?? 100_000;

  const sweep = () => {
    const now = Date.now();
    for (const [id, entry] of entries) {
      // Oldest first: stop at the first one still fresh, unless the store is over its size.
      if (entry.expires >= now && entries.size < max) break;
      entries.delete(id);
    }
  };
  const put = (entry: StoredOperation) => {
    sweep();
    entries.set(entry.status.id, entry);
  };
  const read = (id: string, owner: string | undefined) => {
    const entry = entries.get(id);
    if (!entry || entry.owner !== owner || entry.expires < Date.now()) return undefined;
    return entry.status;
  };

  return {
    local: { put, read },
    async start(command, owner, work) {
      const { first, finish } = begin(command, work);
      const expires = Date.now() + ttlMs;
      put({ status: first, owner, expires });
      const settled = finish().then((status) => {
        // Updated in place: a sweep must not see it as the newest entry.
        if (entries.has(status.id)) entries.set(status.id, { status, owner, expires });
        return status;
      });
      return { status: first, settled };
    },
    async get(id, owner) {
      return read(id, owner);
    },
    async close() {
      entries.clear();
    },
  };
}
