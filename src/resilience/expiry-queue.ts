import { performance } from 'node:perf_hooks';

/** What the queue holds: something to expire, linked in place (no wrapper object per entry). */
export interface Expiring {
  /** Set by the queue: when, on `performance.now()`'s clock. */
  expiresAt: number;
  prevExpiring: Expiring | undefined;
  nextExpiring: Expiring | undefined;
  /** Called once, when its time is up, unless it was removed first. */
  expire(): void;
}

/** Timers fire on whole milliseconds; an entry this close to its time is due. */
const slackMs = 1;

/**
 * Many timeouts of one duration on one Node timer. Entries of the same duration expire in the order
 * they were added, so they wait in a FIFO list and the timer is armed for the oldest only: adding
 * and removing an entry is a few field writes, where a timer per entry costs an allocation and a
 * timer-list insertion and removal each. When the oldest leaves early (the usual case: the call
 * answered in time) nothing is re-armed; when the timer fires it expires what is due and re-arms
 * for the next. An empty queue leaves its timer unreferenced, so it never keeps a process alive.
 */
export class ExpiryQueue {
  readonly #ms: number;
  #head: Expiring | undefined;
  #tail: Expiring | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;

  constructor(ms: number) {
    this.#ms = ms;
  }

  add(entry: Expiring): void {
    entry.expiresAt = performance.now() + this.#ms;
    entry.nextExpiring = undefined;
    entry.prevExpiring = this.#tail;
    if (this.#tail) this.#tail.nextExpiring = entry;
    else this.#head = entry;
    this.#tail = entry;
    if (this.#timer === undefined || this.#timerAt > entry.expiresAt) this.#arm(entry.expiresAt);
    else if (!this.#timer.hasRef()) this.#timer.ref();
  }

  remove(entry: Expiring): void {
    const { prevExpiring: prev, nextExpiring: next } = entry;
    if (prev) prev.nextExpiring = next;
    else if (this.#head === entry) this.#head = next;
    else return; // not queued (already expired or removed)
    if (next) next.prevExpiring = prev;
    else this.#tail = prev;
    entry.prevExpiring = entry.nextExpiring = undefined;
    if (this.#head === undefined) this.#timer?.unref();
  }

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - performance.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = performance.now();
    let entry = this.#head;
    while (entry !== undefined && entry.expiresAt <= now + slackMs) {
      this.remove(entry);
      entry.expire();
      entry = this.#head;
    }
    if (entry !== undefined) this.#arm(entry.expiresAt);
  }
}
