/**
 * Wakes waiting relay workers. A signal that arrives while a worker is busy is not lost: the worker
 * remembers the generation it saw before its batch and returns at once if it moved on since.
 */
export class Wakeup {
  private generation = 0;
  private waiters = new Set<() => void>();

  get seen(): number {
    return this.generation;
  }

  notify(): void {
    this.generation++;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves on the next `notify`, after `ms`, or at once when `notify` happened since `seen`. */
  wait(seen: number, ms: number): Promise<void> {
    if (seen !== this.generation) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}
