import { LockBackoff } from '../../internal/sqlite-lock.js';

interface Waiting<T> {
  readonly item: T;
  resolve(): void;
  reject(error: unknown): void;
}

/** What `write` returns when another process held the write lock and nothing was written. */
export const lockTaken = Symbol('lock taken');

/**
 * What `write` returns: per item, its error or `undefined`; or `lockTaken`. `wait` asks it to wait
 * for the lock (blocking) rather than give up at once, for a last write before the store closes.
 */
export type Write<T> = (items: readonly T[], wait: boolean) => readonly unknown[] | typeof lockTaken;

export interface LockRetry {
  /** After this long with the lock taken, the waiting items fail with `giveUp`'s error. */
  readonly giveUpMs: number;
  giveUp(lockedMs: number): unknown;
}

/**
 * Collects the items added during one turn of the event loop and writes them together on the next
 * (`setImmediate`); each `add` settles with its own item's outcome. A write that finds the lock taken
 * is tried again on a timer (see `LockBackoff`), with whatever was added
 * meanwhile: the process goes on serving instead of sleeping in SQLite's busy handler, and the next
 * commit carries more.
 */
export class GroupCommit<T> {
  private waiting: Waiting<T>[] = [];
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly lock = new LockBackoff();

  constructor(
    private readonly write: Write<T>,
    private readonly retry: LockRetry,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      // While a retry is due, new items go with it.
      if (this.scheduled || this.retryTimer) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    });
  }

  /** Writes what is waiting now; with `wait`, waiting for the lock (before the store closes). */
  flush(wait = false): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    let outcomes: readonly unknown[] | typeof lockTaken;
    try {
      outcomes = this.write(
        batch.map((w) => w.item),
        wait,
      );
    } catch (error) {
      outcomes = batch.map(() => error);
    }
    if (outcomes === lockTaken) return this.retryLater(batch);
    this.lock.reset();
    batch.forEach((w, i) => {
      const error = outcomes[i];
      if (error === undefined) w.resolve();
      else w.reject(error);
    });
  }

  private retryLater(batch: Waiting<T>[]): void {
    const { delayMs, lockedMs } = this.lock.refused();
    if (lockedMs >= this.retry.giveUpMs) {
      this.lock.reset();
      const error = this.retry.giveUp(lockedMs);
      for (const w of batch) w.reject(error);
      if (this.waiting.length > 0) this.flush();
      return;
    }
    this.waiting = [...batch, ...this.waiting];
    this.retryTimer = setTimeout(() => this.flush(), delayMs);
  }
}
