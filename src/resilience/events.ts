/** What subscribing to an event returns: call `dispose()` to stop listening. */
export interface Disposable {
  dispose(): void;
}

/** Subscribes a listener to a policy event, e.g. `breaker.onStateChange((e) => …)`. */
export type Event<T> = (listener: (event: T) => void) => Disposable;

/**
 * The emitter behind every policy event. Policies test `listening` before they build an event (or
 * read a clock for it), so an unobserved policy allocates nothing for its events.
 *
 * The listener list is copied on write so a listener may dispose itself (or another) while an event
 * is being delivered. A listener that throws must not corrupt the policy that emitted mid-transition,
 * so its error is rethrown on a microtask: it surfaces as an uncaught exception, as an EventTarget
 * listener's error does in Node, instead of rejecting an unrelated call.
 */
export class Emitter<T> {
  #listeners: readonly ((event: T) => void)[] = [];
  readonly #watch: ((listening: boolean) => void) | undefined;

  /** `watch` hears when the first listener arrives and when the last one leaves. */
  constructor(watch?: (listening: boolean) => void) {
    this.#watch = watch;
  }

  get listening(): boolean {
    return this.#listeners.length > 0;
  }

  readonly event: Event<T> = (listener) => {
    this.#listeners = [...this.#listeners, listener];
    if (this.#listeners.length === 1) this.#watch?.(true);
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        const index = this.#listeners.indexOf(listener);
        this.#listeners = this.#listeners.filter((_, i) => i !== index);
        if (this.#listeners.length === 0) this.#watch?.(false);
      },
    };
  };

  emit(event: T): void {
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
