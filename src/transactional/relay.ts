import { SwitchyardError } from '../errors/index.js';
import { backoffMs, type BackoffSettings } from './backoff.js';
import type { RelayMode, TransactionalEvent } from './events.js';
import type { Wakeup } from './wakeup.js';

/** A running relay: moves committed outbox rows to the broker until stopped. */
export interface Relay {
  readonly mode: RelayMode;
  /** Stops taking new batches, lets the one in flight finish (its rows are marked), and closes connections. */
  stop(): Promise<void>;
}

/** Text for `last_error`: the error's own message, and its cause's when the error only wraps one. */
export function describeError(error: SwitchyardError): string {
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.code} ${error.message}${cause}`.slice(0, 2_000);
}

/** A sleep that a stop cuts short. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new SwitchyardError('INVALID_ARGUMENT', `${name} must be a positive integer, not ${value}`);
  return value;
}

/** A failure of the relay's own machinery (database, connection) as the error its event carries. */
export function relayError(thrown: unknown): SwitchyardError {
  return thrown instanceof SwitchyardError
    ? thrown
    : new SwitchyardError('UNAVAILABLE', 'The outbox relay could not run a batch', { cause: thrown });
}

/**
 * A relay worker: runs batches while they find rows, waits for a wake-up (or `idleMs`) when one finds
 * none, and backs off after a failure of its own machinery. With `busyIdleMs`, the wait after a batch
 * that found rows starts at `busyIdleMs` and doubles with each empty batch up to `idleMs`: rows that
 * arrive steadily are picked up within milliseconds, and an idle outbox is still polled slowly.
 * Ends when `signal` aborts; whoever aborts it also notifies `wake`, so a waiting worker sees the stop
 * at once.
 */
export async function relayLoop(options: {
  readonly mode: RelayMode;
  readonly runOnce: () => Promise<number>;
  readonly wake: Wakeup;
  readonly idleMs: () => number;
  readonly busyIdleMs?: number;
  readonly signal: AbortSignal;
  readonly retry: BackoffSettings | undefined;
  readonly emit: (event: TransactionalEvent) => void;
}): Promise<void> {
  let failures = 0;
  let emptyStreak = Infinity;
  const { busyIdleMs } = options;
  while (!options.signal.aborted) {
    const seen = options.wake.seen;
    let count: number;
    try {
      count = await options.runOnce();
      failures = 0;
    } catch (thrown) {
      failures++;
      const retryInMs = backoffMs(failures, options.retry);
      options.emit({ type: 'relay-failed', relay: options.mode, error: relayError(thrown), retryInMs });
      await pause(retryInMs, options.signal);
      continue;
    }
    if (count > 0) {
      emptyStreak = 0;
      continue;
    }
    const idleMs = options.idleMs();
    const waitMs = busyIdleMs === undefined ? idleMs : Math.min(idleMs, busyIdleMs * 2 ** emptyStreak++);
    await options.wake.wait(seen, waitMs);
  }
}
