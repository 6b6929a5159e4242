interface Waiting<T> {
  readonly item: T;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Collects the items added during one turn of the event loop and writes them together on the next
 * (`setImmediate`). `write` returns, per item, its error or `undefined`; each `add` settles with its
 * own item's outcome.
 */
export class GroupCommit<T> {
  private waiting: Waiting<T>[] = [];
  private scheduled = false;

  constructor(private readonly write: (items: readonly T[]) => readonly unknown[]) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    });
  }

  /** Writes what is waiting now (before the store closes). */
  flush(): void {
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    let outcomes: readonly unknown[];
    try {
      outcomes = this.write(batch.map((w) => w.item));
    } catch (error) {
      outcomes = batch.map(() => error);
    }
    batch.forEach((w, i) => {
      const error = outcomes[i];
      if (error === undefined) w.resolve();
      else w.reject(error);
    });
  }
}
