import { SwitchyardError } from '../errors/index.js';
import type { AnyContract } from '../contract/index.js';
import { childTrace, newId, type TraceContext } from '../envelope/index.js';
import { onSignalAbort, type Abortable } from './abort.js';
import type { Client } from './types.js';

/** Where a context gets clients from (the host that runs the handler). */
export interface ClientSource {
  client<C extends AnyContract>(contract: C, options: { parent: Context }): Client<C>;
}

/** What a new context takes from its parent and from the call that creates it. */
export interface ContextInit {
  parent?: Context;
  id?: string;
  correlationId?: string;
  causationId?: string;
  trace?: TraceContext;
  /** Absolute epoch ms. A child never outlives its parent: the earlier of the two wins. */
  deadline?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The creator will call `cancel()` when the work must stop (e.g. a server whose caller went away). */
  cancelable?: boolean;
  /**
   * `signal` already aborts at `deadline` and when the parent aborts (e.g. a retry attempt's signal
   * from the timeout policy), so no timer or combined signal is built on top of it.
   */
  signalCoversDeadline?: boolean;
  /**
   * What aborts this context, in place of `signal`: like a signal with `signalCoversDeadline`, it
   * already aborts at `deadline` and when the parent aborts. Listened to with `onAbort`, so a call
   * that never aborts builds no AbortSignal for it.
   */
  abortable?: Abortable;
  /**
   * Another attempt of that call (a retry, or one try under a timeout policy): it shares the call's
   * id, causation, correlation and trace, read from it only when needed, and is its child for
   * deadline, cancellation and metadata. Takes the place of `parent`.
   */
  attemptOf?: Context;
  /** The caller's trace (from a request's headers): this context's trace is a new span in it, made on first use. */
  parentTrace?: TraceContext;
  attempt?: number;
  /** Free-form metadata (e.g. the caller's identity set by a gateway). Inherited by children. */
  metadata?: Readonly<Record<string, string>>;
  clients?: ClientSource;
}

/**
 * The context of one call or message: ids, trace, deadline and cancellation. Handlers receive one;
 * calls and messages they make inherit it. Ids, trace and the abort signal are created on first use,
 * so a call that never reads them pays nothing for them.
 */
export class Context {
  readonly deadline: number | undefined;
  readonly attempt: number;
  readonly causationId: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly #parent: Context | undefined;
  readonly #sameCall: Context | undefined;
  readonly #parentTrace: TraceContext | undefined;
  readonly #abortable: Abortable | undefined;
  #id: string | undefined;
  #correlationId: string | undefined;
  #trace: TraceContext | undefined;
  #signal: AbortSignal | undefined;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #cancelable: boolean;
  readonly #signalCoversDeadline: boolean;
  #controller: AbortController | undefined;
  #cancelled = false;
  #cancelReason: unknown;
  readonly #clients: ClientSource | undefined;
  #clientCache: Map<AnyContract, unknown> | undefined;

  constructor(init: ContextInit = {}) {
    const sameCall = init.attemptOf;
    const parent = sameCall ?? init.parent;
    this.#parent = parent;
    this.#sameCall = sameCall;
    this.#id = init.id;
    // Read lazily: a root call's correlation id is its own id, made only if somebody asks.
    this.#correlationId = init.correlationId;
    // An explicit `causationId: undefined` (a retry attempt of a root call) must not fall back to the
    // parent's id: the attempt is the same call as its parent, not caused by it.
    this.causationId =
      'causationId' in init ? init.causationId : sameCall ? sameCall.causationId : parent?.id;
    this.#trace = init.trace;
    this.#parentTrace = init.parentTrace;
    this.attempt = init.attempt ?? 1;
    this.metadata = init.metadata ?? parent?.metadata ?? noMetadata;
    const own =
      init.timeoutMs === undefined
        ? init.deadline
        : Math.min(init.deadline ?? Infinity, Date.now() + init.timeoutMs);
    this.deadline = earliest(own, parent?.deadline);
    this.#callerSignal = init.signal;
    this.#cancelable = init.cancelable ?? false;
    this.#signalCoversDeadline = Boolean(init.signalCoversDeadline && init.signal);
    this.#abortable = init.abortable;
    this.#clients = init.clients ?? (parent ? parent.#clients : undefined);
  }

  /** A client whose calls inherit this context's deadline, correlation id and trace. */
  client<C extends AnyContract>(contract: C): Client<C> {
    if (!this.#clients) throw new Error('this context is not attached to a host');
    this.#clientCache ??= new Map();
    let client = this.#clientCache.get(contract) as Client<C> | undefined;
    if (!client) {
      client = this.#clients.client(contract, { parent: this });
      this.#clientCache.set(contract, client);
    }
    return client;
  }

  get id(): string {
    return (this.#id ??= this.#sameCall ? this.#sameCall.id : newId());
  }

  /** Shared by every call and message that one external request causes. */
  get correlationId(): string {
    return (this.#correlationId ??= this.#parent ? this.#parent.correlationId : this.id);
  }

  get trace(): TraceContext {
    return (this.#trace ??= this.#sameCall
      ? this.#sameCall.trace
      : childTrace(this.#parentTrace ?? this.#parent?.trace));
  }

  /** Milliseconds left before the deadline; Infinity without one. */
  remainingMs(now?: number): number {
    return this.deadline === undefined ? Infinity : this.deadline - (now ?? Date.now());
  }

  get expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /**
   * Whether anything can abort this context: a deadline, a caller's signal, `cancel()`, or a parent
   * that can. Transports read `signal` only when this is true, so plain calls create no signals.
   */
  get cancellable(): boolean {
    return (
      this.#cancelable ||
      this.deadline !== undefined ||
      this.#callerSignal !== undefined ||
      this.#abortable !== undefined ||
      (this.#parent?.cancellable ?? false)
    );
  }

  /** Aborts this context and its children. Only for contexts created with `cancelable: true`. */
  cancel(reason?: unknown): void {
    if (!this.#cancelable) throw new Error('this context was not created cancelable');
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#cancelReason = reason;
    this.#controller?.abort(reason);
  }

  /** Aborts when the deadline passes, the caller aborts, `cancel()` is called, or the parent is aborted. */
  get signal(): AbortSignal {
    if (this.#signal) return this.#signal;
    if (!this.#cancelable) {
      if (this.#abortable) return (this.#signal = this.#abortable.signal);
      if (this.#signalCoversDeadline) return (this.#signal = this.#callerSignal!);
    }
    const signals: AbortSignal[] = [];
    if (this.#cancelable) {
      this.#controller = new AbortController();
      if (this.#cancelled) this.#controller.abort(this.#cancelReason);
      signals.push(this.#controller.signal);
    }
    if (this.#callerSignal) signals.push(this.#callerSignal);
    if (this.#abortable) signals.push(this.#abortable.signal);
    // A caller's signal that covers the deadline and the parent needs neither on top of it.
    const covered = this.#signalCoversDeadline || this.#abortable !== undefined;
    if (!covered && this.#parent?.cancellable) signals.push(this.#parent.signal);
    if (!covered && this.deadline !== undefined)
      signals.push(AbortSignal.timeout(Math.max(0, this.remainingMs())));
    this.#signal =
      signals.length === 0 ? neverAborted : signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
    return this.#signal;
  }

  /**
   * Calls `listener` once when this context aborts, as `signal` would (at once if it already has);
   * returns what stops listening. Where the abort comes from a policy's attempt (`abortable`) it
   * builds no AbortSignal, which is why transports listen this way on the per-call path.
   */
  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.#abortable && !this.#cancelable) return this.#abortable.onAbort(listener);
    if (!this.cancellable) return noop;
    return onSignalAbort(this.signal, listener);
  }

  /** Throws DEADLINE_EXCEEDED (or CANCELLED) if this context may no longer do work. */
  throwIfDone(): void {
    if (this.signalAborted()) throw new SwitchyardError('CANCELLED', 'The caller cancelled');
    if (this.expired) throw deadlineExceeded();
  }

  signalAborted(): boolean {
    return Boolean(
      this.#cancelled ||
      this.#signal?.aborted ||
      this.#callerSignal?.aborted ||
      this.#abortable?.aborted ||
      this.#parent?.signalAborted(),
    );
  }

  child(init: Omit<ContextInit, 'parent'> = {}): Context {
    return new Context({ ...init, parent: this });
  }
}

/** Shared by every context that nothing can abort; never listen to it. */
export const neverAborted: AbortSignal = new AbortController().signal;

const noMetadata: Readonly<Record<string, string>> = Object.freeze({});
const noop = () => {};

export function deadlineExceeded(): SwitchyardError {
  return new SwitchyardError('DEADLINE_EXCEEDED', 'The deadline expired before the call completed');
}

/**
 * The error of a call aborted for `reason`: a SwitchyardError as it is (a resilience timeout aborts
 * with DEADLINE_EXCEEDED), DEADLINE_EXCEEDED for an `AbortSignal.timeout` (what a deadline's signal
 * is), CANCELLED for anything else.
 */
export function errorOfAbort(reason: unknown): SwitchyardError {
  if (reason instanceof SwitchyardError) return reason;
  if (reason instanceof DOMException && reason.name === 'TimeoutError') return deadlineExceeded();
  return new SwitchyardError('CANCELLED', 'The caller cancelled', { cause: reason });
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
