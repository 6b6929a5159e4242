import { LazyAbort } from '../runtime/abort.js';
import { Emitter, type Event } from './events.js';
import { ExpiryQueue, type Expiring } from './expiry-queue.js';
import {
  abortError,
  check,
  deadlineError,
  isAborted,
  lazyContext,
  onAbort,
  toContext,
  type ExecuteContext,
  type ExecuteOptions,
  type Policy,
} from './policy.js';

export interface TimeoutOptions {
  ms: number;
  /** Epoch-ms clock, compared with `deadline`. */
  now?: () => number;
}

export interface TimeoutEvent {
  /** The limit that fired: the configured `ms`, or less when the deadline was nearer. */
  readonly ms: number;
}

export interface TimeoutPolicy extends Policy {
  readonly ms: number;
  readonly onTimeout: Event<TimeoutEvent>;
}

/**
 * Gives `fn` at most `ms` (and never more than the deadline leaves). When time is up the inner signal
 * aborts with DEADLINE_EXCEEDED and the returned promise rejects with it at once, whether or not `fn`
 * heeds the signal: a caller is never held past its limit by a callee that ignores cancellation. The
 * timer and the listener on the outer signal are removed as soon as the call settles, so a finished
 * call keeps nothing alive.
 *
 * The inner signal is built only if `fn` reads it: transports listen to the abort through the
 * context (`Context.onAbort`), so an attempt that ends in time costs no AbortSignal, and no timer of
 * its own either: the policy's attempts share one.
 */
export function timeout(options: number | TimeoutOptions): TimeoutPolicy {
  const { ms, now = Date.now } = typeof options === 'number' ? { ms: options } : options;
  check(ms > 0, 'timeout: ms must be positive');
  const timeouts = new Emitter<TimeoutEvent>();
  // Every attempt given the full `ms` shares one timer (see ExpiryQueue); one cut short by a
  // nearer deadline has a timer of its own.
  const queue = new ExpiryQueue(ms);

  return {
    ms,
    onTimeout: timeouts.event,
    execute<T>(fn: (ctx: ExecuteContext) => Promise<T>, options?: ExecuteOptions): Promise<T> {
      const ctx = toContext(options);
      if (isAborted(ctx)) return Promise.reject(abortError(ctx));
      const start = now();
      const limit = ctx.deadline === undefined ? ms : Math.min(ms, ctx.deadline - start);
      if (limit <= 0) {
        if (timeouts.listening) timeouts.emit({ ms: limit });
        return Promise.reject(deadlineError());
      }
      return new Promise<T>((resolve, reject) => {
        const attempt = new TimedAttempt({
          outer: ctx,
          limit,
          timeouts,
          reject,
          queue: limit === ms ? queue : undefined,
        });
        let result: Promise<T>;
        try {
          result = fn(
            lazyContext(attempt, { attempt: ctx.attempt, deadline: start + limit, input: ctx.input }),
          );
        } catch (error) {
          result = Promise.reject(error);
        }
        // Settling twice is harmless: whichever of result, timer or abort comes first wins.
        result.then(
          (value) => attempt.settle(resolve, value),
          (error: unknown) => attempt.settle(reject, error),
        );
      });
    },
  };
}

const noop = () => {};

/**
 * One attempt under the policy: its abort (it is the attempt's LazyAbort), its place in the policy's
 * expiry queue (or its own timer), and its listener on the outer context. A class, so an attempt
 * costs one object rather than a closure per callback.
 */
class TimedAttempt extends LazyAbort implements Expiring {
  expiresAt = 0;
  prevExpiring: Expiring | undefined = undefined;
  nextExpiring: Expiring | undefined = undefined;
  readonly #limit: number;
  readonly #timeouts: Emitter<TimeoutEvent>;
  readonly #reject: (error: unknown) => void;
  readonly #queue: ExpiryQueue | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unlisten: () => void = noop;

  constructor(options: {
    outer: ExecuteContext;
    limit: number;
    timeouts: Emitter<TimeoutEvent>;
    reject: (error: unknown) => void;
    queue: ExpiryQueue | undefined;
  }) {
    super();
    const { outer, limit, queue } = options;
    this.#limit = limit;
    this.#timeouts = options.timeouts;
    this.#reject = options.reject;
    this.#queue = queue;
    if (queue) queue.add(this);
    else this.#timer = setTimeout(() => this.expire(), limit);
    this.#unlisten = onAbort(outer, () => this.#fail(abortError(outer)));
  }

  expire(): void {
    if (this.#timeouts.listening) this.#timeouts.emit({ ms: this.#limit });
    this.#fail(deadlineError(this.#limit));
  }

  settle<V>(settle: (value: V) => void, value: V): void {
    this.#stop();
    settle(value);
  }

  #fail(error: unknown): void {
    this.#stop();
    this.abort(error);
    this.#reject(error);
  }

  #stop(): void {
    if (this.#queue) this.#queue.remove(this);
    else clearTimeout(this.#timer);
    this.#unlisten();
  }
}
