interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
  reject(error: unknown): void;
}

/**
 * What a consumer received from its engine and the application has not taken yet: the engine side
 * `push`es, `for await` pulls, `end` (or `fail`) finishes the iteration. Breaking out
 * of the loop calls `onReturn` (the consumer's `close`).
 *
 * It adds no back-pressure of its own and needs none: every adapter lets out one delivery per owned
 * partition and fetches that partition's next one only after the application settled it, so the queue
 * never holds more than one delivery per partition, however slow the application.
 */
export class DeliveryQueue<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private readonly waiters: Waiter<T>[] = [];
  private done = false;
  private failure: { error: unknown } | undefined;

  constructor(private readonly onReturn: () => Promise<void>) {}

  get ended(): boolean {
    return this.done;
  }

  /** Deliveries waiting to be taken. */
  get size(): number {
    return this.buffer.length;
  }

  /** Hands `item` to a waiting reader or keeps it; returns false (and drops it) once the queue has ended. */
  push(item: T): boolean {
    if (this.done) return false;
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve({ value: item, done: false });
    else this.buffer.push(item);
    return true;
  }

  /**
   * Forgets waiting deliveries (all, or those `which` selects) that the engine will deliver again:
   * their partition moved to another member, or the connection they came on is gone.
   */
  discard(which?: (item: T) => boolean): void {
    if (!which) {
      this.buffer.length = 0;
      return;
    }
    for (let i = this.buffer.length - 1; i >= 0; i--) if (which(this.buffer[i]!)) this.buffer.splice(i, 1);
  }

  /**
   * Ends the iteration: what is waiting is discarded (the engine delivers it again to the next owner)
   * and readers get `done`. Idempotent.
   */
  end(): void {
    this.finish(undefined);
  }

  /** Ends the iteration like `end`, but readers get `error` (from now on, every time they ask). */
  fail(error: unknown): void {
    this.finish({ error });
  }

  private finish(failure: { error: unknown } | undefined): void {
    this.buffer.length = 0;
    if (!this.done) {
      this.done = true;
      this.failure = failure;
    }
    for (const waiter of this.waiters.splice(0)) this.settle(waiter);
  }

  private settle(waiter: Waiter<T>): void {
    if (this.failure) waiter.reject(this.failure.error);
    else waiter.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift()!, done: false });
        return new Promise<IteratorResult<T>>((resolve, reject) => {
          const waiter = { resolve, reject };
          if (this.done) this.settle(waiter);
          else this.waiters.push(waiter);
        });
      },
      return: async () => {
        await this.onReturn();
        return { value: undefined, done: true };
      },
    };
  }
}
