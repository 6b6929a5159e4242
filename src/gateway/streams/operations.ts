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

interface Entry {
  status: OperationStatus;
  /** Only the caller who sent the command may read its status (undefined: anonymous callers). */
  readonly owner: string | undefined;
  readonly expires: number;
  readonly settled: Promise<void>;
}

/**
 * Commands in flight and their outcomes, kept in this gateway's memory for `ttlMs` after they were
 * accepted. Replies come back to the instance that sent the command, so the status lives there too.
 */
export class OperationStore {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #max: number;

  constructor(options: { ttlMs?: number; max?: number } = {}) {
    this.#ttlMs = options.ttlMs ?? 10 * 60_000;
    this.#max = options.max ?? 100_000;
  }

  /** Records a command whose outcome `work` brings; the returned promise settles with the entry. */
  start(
    command: string,
    owner: string | undefined,
    work: (() => Promise<unknown>) | undefined,
  ): OperationStatus & { settled: Promise<void> } {
    this.#sweep();
    const id = newId();
    const base = { id, command, createdAt: new Date().toISOString() };
    const entry: Entry = {
      status: { ...base, status: work ? 'pending' : 'sent' },
      owner,
      expires: Date.now() + this.#ttlMs,
      settled: work
        ? work().then(
            (result) => void (entry.status = { ...base, status: 'succeeded', result }),
            (error: unknown) =>
              void (entry.status = {
                ...base,
                status: 'failed',
                error: SwitchyardError.from(error).toJSON(),
              }),
          )
        : Promise.resolve(),
    };
    this.#entries.set(id, entry);
    return { ...entry.status, settled: entry.settled };
  }

  get(id: string, owner: string | undefined): OperationStatus | undefined {
    const entry = this.#entries.get(id);
    if (!entry || entry.owner !== owner || entry.expires < Date.now()) return undefined;
    return entry.status;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.#entries) {
      // Oldest first: stop at the first one still fresh, unless the store is over its size.
      if (entry.expires >= now && this.#entries.size < this.#max) break;
      this.#entries.delete(id);
    }
  }
}
