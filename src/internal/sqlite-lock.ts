import type Database from 'better-sqlite3';
import { SwitchyardError } from '../errors/index.js';

/**
 * Waiting for another process's SQLite write lock without blocking the event loop. SQLite's busy
 * handler sleeps in the calling thread, a millisecond at least and longer the longer it waits, so a
 * Node process that meets a lock taken by another process on the same file stops serving until it
 * is free. Writes made on the hot path instead run with no busy timeout, get SQLITE_BUSY at once,
 * and are tried again on a timer while the process goes on with other work.
 */

/** How long a write waits for another process's lock before the file counts as unavailable. */
export const busyTimeoutMs = 5_000;

/** SQLITE_BUSY and its extended codes: the lock was taken, nothing was done. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * The waits between tries: 1 ms, doubling up to 32 ms while the lock stays taken. It says since when
 * the lock has been found taken, so that the caller reports the file lost, or gives up, once that is
 * longer than a blocking write would have waited (`busyTimeoutMs`).
 */
export class LockBackoff {
  private since: number | undefined;
  private tries = 0;

  /** A try found the lock taken: how long to wait before the next, and how long it has been taken. */
  refused(now = Date.now()): { delayMs: number; lockedMs: number } {
    this.since ??= now;
    return { delayMs: 2 ** Math.min(this.tries++, 5), lockedMs: now - this.since };
  }

  /** A try got the lock. */
  reset(): void {
    this.since = undefined;
    this.tries = 0;
  }
}

/**
 * Runs `write` on `db` without SQLite's busy handler: with the busy timeout lifted for the call, a
 * lock taken by another process fails it at once, and it is run again on a timer (`LockBackoff`)
 * until it gets through, or for `busyTimeoutMs` at most (then UNAVAILABLE, nothing written). `write`
 * must be all or nothing (one statement, `BEGIN`, a `db.transaction`), since a refused try is repeated
 * whole. Returns without a timer when the lock is free, which is the common case.
 */
export function whenUnlocked<T>(db: Database.Database, write: () => T, file: string): T | Promise<T> {
  const attempt = tryWrite(db, write);
  return attempt === refused ? waitForLock(db, write, file) : attempt;
}

const refused: unique symbol = Symbol('refused');

// Executed each time, not prepared once: a PRAGMA takes effect when it is prepared, not when run.
const noWait = 'PRAGMA busy_timeout = 0';
const restore = `PRAGMA busy_timeout = ${busyTimeoutMs}`;

function tryWrite<T>(db: Database.Database, write: () => T): T | typeof refused {
  db.exec(noWait);
  try {
    return write();
  } catch (error) {
    if (isBusy(error)) return refused;
    throw error;
  } finally {
    db.exec(restore);
  }
}

async function waitForLock<T>(db: Database.Database, write: () => T, file: string): Promise<T> {
  const backoff = new LockBackoff();
  for (;;) {
    const { delayMs, lockedMs } = backoff.refused();
    if (lockedMs >= busyTimeoutMs)
      throw new SwitchyardError(
        'UNAVAILABLE',
        `${file} has been locked by another process for ${lockedMs} ms`,
        {
          details: { file },
        },
      );
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const attempt = tryWrite(db, write);
    if (attempt !== refused) return attempt;
  }
}
