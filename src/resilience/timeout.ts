import { Emitter, type Event } from './events.js';
import {
  abortError,
  check,
  deadlineError,
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
 */
export function timeout(options: number | TimeoutOptions): TimeoutPolicy {
  const { ms, now = Date.now } = typeof options === 'number' ? { ms: options } : options;
  check(ms > 0, 'timeout: ms must be positive');
  const timeouts = new Emitter<TimeoutEvent>();

  return {
    ms,
    onTimeout: timeouts.event,
    execute<T>(fn: (ctx: ExecuteContext) => Promise<T>, options?: ExecuteOptions): Promise<T> {
      const ctx = toContext(options);
      if (ctx.signal.aborted) return Promise.reject(abortError(ctx.signal));
      const start = now();
      const limit = ctx.deadline === undefined ? ms : Math.min(ms, ctx.deadline - start);
      if (limit <= 0) {
        if (timeouts.listening) timeouts.emit({ ms: limit });
        return Promise.reject(deadlineError());
      }
      const inner = new AbortController();

      return new Promise<T>((resolve, reject) => {
        const fail = (error: unknown) => {
          stop();
          inner.abort(error);
          reject(error);
        };
        const timer = setTimeout(() => {
          if (timeouts.listening) timeouts.emit({ ms: limit });
          fail(deadlineError(limit));
        }, limit);
        const unlisten = onAbort(ctx.signal, () => fail(abortError(ctx.signal)));
        function stop() {
          clearTimeout(timer);
          unlisten();
        }

        let result: Promise<T>;
        try {
          result = fn({
            signal: inner.signal,
            attempt: ctx.attempt,
            deadline: start + limit,
            input: ctx.input,
          });
        } catch (error) {
          result = Promise.reject(error);
        }
        // Settling twice is harmless: whichever of result, timer or abort comes first wins.
        result.then(
          (value) => {
            stop();
            resolve(value);
          },
          (error: unknown) => {
            stop();
            reject(error);
          },
        );
      });
    },
  };
}
