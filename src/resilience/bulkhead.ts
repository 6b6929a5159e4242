import { SwitchyardError } from '../errors/index.js';
import { Emitter, type Event } from './events.js';
import {
  abortError,
  check,
  deadlineError,
  isAborted,
  onAbort,
  toContext,
  type ExecuteContext,
  type ExecuteOptions,
  type Policy,
} from './policy.js';

export interface BulkheadOptions {
  maxConcurrent: number;
  /** Calls that may wait for a slot; 0 (the default) rejects as soon as all slots are busy. */
  maxQueue?: number;
  /** Epoch-ms clock, compared with `deadline` while a call waits. */
  now?: () => number;
}

export interface BulkheadRejectEvent {
  readonly executing: number;
  readonly queued: number;
}

export interface BulkheadPolicy extends Policy {
  readonly executing: number;
  readonly queued: number;
  readonly onReject: Event<BulkheadRejectEvent>;
}

interface Waiter {
  start(): void;
  leave(error: unknown): void;
}

/**
 * Limits the calls in flight to one target so a slow dependency cannot take every socket and every
 * waiting caller with it. Full means BULKHEAD_FULL at once (fail fast, the caller can fall back). A
 * queued call leaves the queue as soon as its signal aborts or its deadline passes: a caller that gave
 * up must not hold a place, nor be started later for nobody.
 */
export function bulkhead(options: BulkheadOptions): BulkheadPolicy {
  const { maxConcurrent, maxQueue = 0, now = Date.now } = options;
  check(
    Number.isInteger(maxConcurrent) && maxConcurrent > 0,
    'bulkhead: maxConcurrent must be a positive integer',
  );
  check(Number.isInteger(maxQueue) && maxQueue >= 0, 'bulkhead: maxQueue must be a non-negative integer');
  const rejects = new Emitter<BulkheadRejectEvent>();
  const queue: Waiter[] = [];
  let executing = 0;

  async function run<T>(fn: (ctx: ExecuteContext) => Promise<T>, ctx: ExecuteContext): Promise<T> {
    try {
      return await fn(ctx);
    } finally {
      executing--;
      const next = queue.shift();
      if (next) next.start();
    }
  }

  function wait<T>(fn: (ctx: ExecuteContext) => Promise<T>, ctx: ExecuteContext): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const remaining = ctx.deadline === undefined ? Infinity : ctx.deadline - now();
      if (remaining <= 0) return reject(deadlineError());
      const timer =
        remaining === Infinity ? undefined : setTimeout(() => waiter.leave(deadlineError()), remaining);
      const waiter: Waiter = {
        start() {
          clearTimeout(timer);
          unlisten();
          executing++;
          resolve(run(fn, ctx));
        },
        leave(error) {
          clearTimeout(timer);
          unlisten();
          const index = queue.indexOf(waiter);
          if (index >= 0) queue.splice(index, 1);
          reject(error);
        },
      };
      const unlisten = onAbort(ctx, () => waiter.leave(abortError(ctx)));
      queue.push(waiter);
    });
  }

  return {
    get executing() {
      return executing;
    },
    get queued() {
      return queue.length;
    },
    onReject: rejects.event,
    execute<T>(fn: (ctx: ExecuteContext) => Promise<T>, options?: ExecuteOptions): Promise<T> {
      const ctx = toContext(options);
      if (isAborted(ctx)) return Promise.reject(abortError(ctx));
      if (executing < maxConcurrent) {
        executing++;
        return run(fn, ctx);
      }
      if (queue.length < maxQueue) return wait(fn, ctx);
      if (rejects.listening) rejects.emit({ executing, queued: queue.length });
      return Promise.reject(
        new SwitchyardError('BULKHEAD_FULL', 'Too many calls in flight to this target', {
          details: { maxConcurrent, maxQueue },
        }),
      );
    },
  };
}
