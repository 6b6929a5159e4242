/**
 * Something that can abort a call, listened to without an AbortSignal. In Node an AbortSignal costs
 * microseconds to create and to listen to (more than the rest of a call's client-side policies
 * together), while almost every call ends without aborting; so transports and policies listen with
 * `onAbort`, and the signal is built only for code that asks for one.
 */
export interface Abortable {
  readonly aborted: boolean;
  /** Why it aborted; undefined until it has. */
  readonly reason: unknown;
  /** An AbortSignal that aborts with it, built on first read. */
  readonly signal: AbortSignal;
  /** Calls `listener` once when this aborts (at once if it already has); returns what stops listening. */
  onAbort(listener: (reason: unknown) => void): () => void;
}

const noop = () => {};

/** An abort whose listeners are plain callbacks and whose AbortSignal is built only when asked for. */
export class LazyAbort implements Abortable {
  #aborted = false;
  #reason: unknown = undefined;
  #controller: AbortController | undefined;
  #listeners: ((reason: unknown) => void)[] | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Aborts once; later calls change nothing. Listeners run synchronously, as an AbortSignal's do. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners) for (const listener of listeners) listener(reason);
  }

  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.#aborted) {
      listener(this.#reason);
      return noop;
    }
    (this.#listeners ??= []).push(listener);
    return () => {
      const listeners = this.#listeners;
      const index = listeners ? listeners.indexOf(listener) : -1;
      if (index >= 0) listeners!.splice(index, 1);
    };
  }
}

/** `onAbort` for a plain AbortSignal, with the same contract. */
export function onSignalAbort(signal: AbortSignal, listener: (reason: unknown) => void): () => void {
  if (signal.aborted) {
    listener(signal.reason);
    return noop;
  }
  const handler = () => listener(signal.reason);
  signal.addEventListener('abort', handler, { once: true });
  return () => signal.removeEventListener('abort', handler);
}
