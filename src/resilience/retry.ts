import { codes, SwitchyardError, type Code } from '../errors/index.js';
import { Emitter, type Event } from './events.js';
import {
  check,
  isAborted,
  onAbort,
  toContext,
  withAttempt,
  type ExecuteContext,
  type ExecuteOptions,
  type Policy,
} from './policy.js';
import type { RetryBudget } from './retry-budget.js';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier: number;
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  backoff: BackoffOptions;
  /**
   * Whether doing the work twice is safe. False by default: a retry that repeats a payment is worse
   * than a failure, so an unknown operation gets only the retries `safeToRepeat` allows.
   */
  idempotent?: boolean;
  /** Which errors are transient; `error.retryable === true` by default. */
  retryOn?(error: unknown, attempt: number): boolean;
  /** Shared with every other call to the same target. */
  budget?: RetryBudget;
  /** In [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
  /** Epoch-ms clock, compared with `deadline`. */
  now?: () => number;
}

export interface RetryEvent {
  /** The attempt that failed; the next one is `attempt + 1`. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

export type GiveUpReason = 'not-retryable' | 'max-attempts' | 'deadline' | 'aborted' | 'budget';

export interface GiveUpEvent {
  readonly attempts: number;
  readonly reason: GiveUpReason;
  readonly error: unknown;
}

export interface RetryPolicy extends Policy {
  readonly onRetry: Event<RetryEvent>;
  readonly onGiveUp: Event<GiveUpEvent>;
}

/**
 * Whether a failed non-idempotent call may be sent again: only when the error proves the first
 * attempt had no effect, and it is still marked retryable.
 * - UNAVAILABLE with `details.notSent === true`: the transport never sent the request (no instance,
 *   connection refused), so the server cannot have seen it. A sent UNAVAILABLE is ambiguous.
 * - RESOURCE_EXHAUSTED and ABORTED: by definition the server refused or rolled back the work.
 * - A server's explicit verdict: `retryable: true` on a code that is not retryable by default (e.g. a
 *   FAILED_PRECONDITION the operation declares retryable). On codes retryable by default an explicit
 *   mark cannot be told from the default, so DEADLINE_EXCEEDED is never repeated: the work may have
 *   been done and only the answer lost.
 * Client-side refusals (CIRCUIT_OPEN, BULKHEAD_FULL) are not retryable, whatever the operation.
 */
export function safeToRepeat(error: unknown): boolean {
  if (!(error instanceof SwitchyardError) || !error.retryable) return false;
  if (error.code === 'UNAVAILABLE') return error.details.notSent === true;
  return refusedWork.has(error.code) || !codes[error.code].retryable;
}

const refusedWork = new Set<Code>(['RESOURCE_EXHAUSTED', 'ABORTED']);

const transient = (error: unknown) => error instanceof SwitchyardError && error.retryable;

/**
 * Retries with exponential backoff and full jitter (delay drawn uniformly from
 * [0, min(maxMs, initialMs × multiplier^(attempt-1))), so many clients that failed together do not
 * come back together). It never retries past the deadline: if the signal aborted, or the next delay
 * would end at or after the deadline, it stops and rethrows the last error.
 */
export function retry(options: RetryOptions): RetryPolicy {
  const { maxAttempts, backoff, idempotent = false, budget, random = Math.random, now = Date.now } = options;
  check(Number.isInteger(maxAttempts) && maxAttempts >= 1, 'retry: maxAttempts must be a positive integer');
  check(backoff.initialMs >= 0 && backoff.maxMs >= backoff.initialMs, 'retry: need 0 ≤ initialMs ≤ maxMs');
  check(backoff.multiplier >= 1, 'retry: multiplier must be at least 1');
  const retryOn = options.retryOn ?? transient;
  const retries = new Emitter<RetryEvent>();
  const giveUps = new Emitter<GiveUpEvent>();

  /** Why this failure ends the call, or undefined to retry after `delayMs`. */
  function verdict(
    error: unknown,
    attempt: number,
    ctx: ExecuteContext,
    delayMs: () => number,
  ): GiveUpReason | undefined {
    const retryable = retryOn(error, attempt);
    // gRFC A6 counts failures that are transient, whether or not they are retried this time.
    if (retryable) budget?.failure();
    if (!retryable || (!idempotent && !safeToRepeat(error))) return 'not-retryable';
    if (attempt >= maxAttempts) return 'max-attempts';
    if (isAborted(ctx)) return 'aborted';
    if (ctx.deadline !== undefined && now() + delayMs() >= ctx.deadline) return 'deadline';
    if (budget && !budget.allows()) return 'budget';
    return undefined;
  }

  return {
    onRetry: retries.event,
    onGiveUp: giveUps.event,
    async execute<T>(fn: (ctx: ExecuteContext) => Promise<T>, options?: ExecuteOptions): Promise<T> {
      const ctx = toContext(options);
      for (let attempt = 1; ; attempt++) {
        try {
          const value = await fn(attempt === ctx.attempt ? ctx : withAttempt(ctx, attempt));
          budget?.success();
          return value;
        } catch (error) {
          let delay: number | undefined;
          const delayMs = () =>
            (delay ??=
              random() * Math.min(backoff.maxMs, backoff.initialMs * backoff.multiplier ** (attempt - 1)));
          let reason: GiveUpReason | undefined = verdict(error, attempt, ctx, delayMs);
          if (reason === undefined) {
            if (retries.listening) retries.emit({ attempt, delayMs: delayMs(), error });
            if (!(await sleep(delayMs(), ctx))) reason = 'aborted';
          }
          if (reason !== undefined) {
            if (giveUps.listening) giveUps.emit({ attempts: attempt, reason, error });
            throw error;
          }
        }
      }
    },
  };
}

/** Resolves true after `ms`, or false as soon as the context aborts; leaves no timer or listener behind. */
function sleep(ms: number, ctx: ExecuteContext): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (slept: boolean) => {
      clearTimeout(timer);
      unlisten();
      resolve(slept);
    };
    const timer = setTimeout(() => done(true), ms);
    const unlisten = onAbort(ctx, () => done(false));
  });
}
