/**
 * Waiting on a timer for the write lock another process holds: 1 ms, doubling up to 32 ms while it
 * stays taken. It says since when the lock has been found taken, so that the caller reports the file
 * lost, or gives up, once that is longer than a blocking write would have waited (`busyTimeoutMs`).
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

/** What a consumer reports (`disconnected`) while the lock stays taken past `busyTimeoutMs`. */
export function lockedFor(lockedMs: number): Error {
  return new Error(`The broker file has been locked by another process for ${lockedMs} ms`);
}
