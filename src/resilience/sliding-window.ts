/**
 * Where a closed breaker keeps recent outcomes. Totals are kept up to date on every record, so reading
 * them costs nothing and recording allocates nothing (typed arrays sized once).
 */
export interface SlidingWindow {
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
  record(failure: boolean, slow: boolean, now: number): void;
  /** Drops what has aged out by `now` (time windows only). */
  advance(now: number): void;
  reset(): void;
}

export type WindowOptions = { type: 'count'; size: number } | { type: 'time'; seconds: number };

export function slidingWindow(options: WindowOptions): SlidingWindow {
  return options.type === 'count' ? new CountWindow(options.size) : new TimeWindow(options.seconds);
}

const FAILURE = 1;
const SLOW = 2;

/** The last `size` outcomes, in a ring: the newest overwrites the oldest. */
class CountWindow implements SlidingWindow {
  calls = 0;
  failures = 0;
  slowCalls = 0;
  readonly #ring: Uint8Array;
  #next = 0;

  constructor(size: number) {
    this.#ring = new Uint8Array(size);
  }

  record(failure: boolean, slow: boolean): void {
    const ring = this.#ring;
    if (this.calls === ring.length) {
      const old = ring[this.#next]!;
      if (old & FAILURE) this.failures--;
      if (old & SLOW) this.slowCalls--;
    } else this.calls++;
    ring[this.#next] = (failure ? FAILURE : 0) | (slow ? SLOW : 0);
    this.#next = (this.#next + 1) % ring.length;
    if (failure) this.failures++;
    if (slow) this.slowCalls++;
  }

  advance(): void {}

  reset(): void {
    this.calls = this.failures = this.slowCalls = this.#next = 0;
  }
}

/**
 * Outcomes of the last `seconds` seconds, one bucket per second. A bucket is emptied when its second
 * comes round again, so what is older than the window is forgotten without a timer.
 */
class TimeWindow implements SlidingWindow {
  calls = 0;
  failures = 0;
  slowCalls = 0;
  readonly #calls: Uint32Array;
  readonly #failures: Uint32Array;
  readonly #slow: Uint32Array;
  /** The newest second with a bucket; buckets cover (head - seconds, head]. */
  #head = -Infinity;

  constructor(seconds: number) {
    this.#calls = new Uint32Array(seconds);
    this.#failures = new Uint32Array(seconds);
    this.#slow = new Uint32Array(seconds);
  }

  record(failure: boolean, slow: boolean, now: number): void {
    this.advance(now);
    // A clock that stepped back records into the newest bucket rather than a forgotten one.
    const i = this.#index(this.#head);
    this.#calls[i]!++;
    this.calls++;
    if (failure) {
      this.#failures[i]!++;
      this.failures++;
    }
    if (slow) {
      this.#slow[i]!++;
      this.slowCalls++;
    }
  }

  advance(now: number): void {
    const second = Math.floor(now / 1000);
    if (second <= this.#head) return;
    const size = this.#calls.length;
    if (second - this.#head >= size) this.reset();
    else
      for (let s = this.#head + 1; s <= second; s++) {
        const i = this.#index(s);
        this.calls -= this.#calls[i]!;
        this.failures -= this.#failures[i]!;
        this.slowCalls -= this.#slow[i]!;
        this.#calls[i] = this.#failures[i] = this.#slow[i] = 0;
      }
    this.#head = second;
  }

  reset(): void {
    this.#calls.fill(0);
    this.#failures.fill(0);
    this.#slow.fill(0);
    this.calls = this.failures = this.slowCalls = 0;
  }

  #index(second: number): number {
    const size = this.#calls.length;
    return ((second % size) + size) % size;
  }
}
