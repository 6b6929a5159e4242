import { SwitchyardError } from '../errors/index.js';
import type { Abortable } from '../runtime/abort.js';
import { errorOfAbort, neverAborted } from '../runtime/context.js';

/** What each policy hands to the function it runs (and to the next policy in a `wrap`). */
export interface ExecuteContext {
  /** Aborts when the caller cancels, the deadline passes or an enclosing timeout fires. */
  readonly signal: AbortSignal;
  /** 1 for the first try; a retry policy numbers the attempts it makes. */
  readonly attempt: number;
  /** Absolute deadline in epoch ms: retries stop before it and timeouts never run past it. */
  readonly deadline?: number | undefined;
  /** The call's input, for policies keyed by it (the fallback cache). Opaque to the others. */
  readonly input?: unknown;
}

/** The second argument of `execute`: a bare signal (as in cockatiel) or the full set. */
export type ExecuteOptions = AbortSignal | Partial<ExecuteContext>;

/**
 * A resilience policy: runs `fn` under some rule. `Alt` is what the policy may return instead of
 * `fn`'s result (only a fallback has one).
 */
export interface Policy<Alt = never> {
  /** Type-level only (never set): lets `wrap` infer `Alt`, which TS cannot read off a generic method. */
  readonly _alt?: () => Alt;
  execute<T>(fn: (ctx: ExecuteContext) => Promise<T>, options?: ExecuteOptions): Promise<T | Alt>;
}

// The runtime's own never-aborting signal, so contexts without a signal are recognised here too.
const never = neverAborted;
const noop = () => {};

/**
 * Where a context's `signal` comes from when it is built only on first read (a timeout's attempt):
 * policies and the interceptor listen to it directly, so a call that never aborts builds no signal.
 * A symbol, so spreading a context (`{ ...ctx, attempt }`) keeps it.
 */
const kAbortable = Symbol('switchyard.abortable');

type LazyContext = ExecuteContext & { readonly [kAbortable]?: Abortable };

export function abortableOf(ctx: ExecuteContext): Abortable | undefined {
  return (ctx as LazyContext)[kAbortable];
}

/**
 * An ExecuteContext whose `signal` is `abortable`'s, built only if somebody reads it. A class (one
 * cheap object per attempt); spreading one drops the `signal` getter but keeps the abortable, from
 * which `toContext` and `withAttempt` restore it.
 */
class LazyExecuteContext implements ExecuteContext {
  readonly [kAbortable]: Abortable;
  readonly attempt: number;
  readonly deadline: number | undefined;
  readonly input: unknown;

  constructor(abortable: Abortable, attempt: number, deadline: number | undefined, input: unknown) {
    this[kAbortable] = abortable;
    this.attempt = attempt;
    this.deadline = deadline;
    this.input = input;
  }

  get signal(): AbortSignal {
    return this[kAbortable].signal;
  }
}

export function lazyContext(
  abortable: Abortable,
  fields: { attempt: number; deadline?: number | undefined; input?: unknown },
): ExecuteContext {
  return new LazyExecuteContext(abortable, fields.attempt, fields.deadline, fields.input);
}

/** The same context for another attempt number. */
export function withAttempt(ctx: ExecuteContext, attempt: number): ExecuteContext {
  const abortable = abortableOf(ctx);
  return abortable
    ? new LazyExecuteContext(abortable, attempt, ctx.deadline, ctx.input)
    : { ...ctx, attempt };
}

export function isAborted(ctx: ExecuteContext): boolean {
  const abortable = abortableOf(ctx);
  return abortable ? abortable.aborted : ctx.signal.aborted;
}

function reasonOf(ctx: ExecuteContext): unknown {
  const abortable = abortableOf(ctx);
  return abortable ? abortable.reason : ctx.signal.reason;
}

/**
 * Listens for the context's abort; returns the function that stops listening. The stand-in signal of
 * calls made without one is shared, so it is never listened to: it cannot fire, and concurrent calls
 * piling listeners on one signal would trip Node's MaxListenersExceededWarning.
 */
export function onAbort(ctx: ExecuteContext, listener: () => void): () => void {
  const abortable = abortableOf(ctx);
  if (abortable) return abortable.onAbort(listener);
  const signal = ctx.signal;
  if (signal === never) return noop;
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

/** Normalises execute's options; a complete context (what `wrap` passes on) is used as is. */
export function toContext(options: ExecuteOptions | undefined): ExecuteContext {
  if (options === undefined) return { signal: never, attempt: 1 };
  if (options instanceof AbortSignal) return { signal: options, attempt: 1 };
  if (options instanceof LazyExecuteContext) return options;
  // A spread copy of a lazy one: its signal getter was left behind.
  const abortable = (options as LazyContext)[kAbortable];
  if (abortable) return lazyContext(abortable, { ...options, attempt: options.attempt ?? 1 });
  if (options.signal !== undefined && options.attempt !== undefined) return options as ExecuteContext;
  return { ...options, signal: options.signal ?? never, attempt: options.attempt ?? 1 };
}

/**
 * The error a policy rejects with when its context aborted: the reason itself if it is ours (a
 * timeout aborts with DEADLINE_EXCEEDED), DEADLINE_EXCEEDED for `AbortSignal.timeout` (what a
 * Context's deadline uses), CANCELLED for anything else.
 */
export function abortError(ctx: ExecuteContext): SwitchyardError {
  return errorOfAbort(reasonOf(ctx));
}

export function deadlineError(timeoutMs?: number): SwitchyardError {
  return new SwitchyardError(
    'DEADLINE_EXCEEDED',
    timeoutMs === undefined ? 'The deadline expired' : `No result within ${timeoutMs} ms`,
    timeoutMs === undefined ? {} : { details: { timeoutMs } },
  );
}

/** Options are checked when the policy is built, so a typo fails at start-up and not under load. */
export function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(message);
}
