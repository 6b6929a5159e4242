/** Counter totals of one process at one moment. */
export interface CounterSample {
  /** Milliseconds (Date.now()) when the scrape answered. */
  readonly at: number;
  readonly requests: number;
  readonly errors: number;
}

export interface Rates {
  readonly requestsPerSecond: number;
  readonly errorsPerSecond: number;
}

/**
 * Per-second rates between two samples of the same process. Undefined without an earlier sample, when
 * no time passed, or when a counter went down: the process restarted and its counters began again, so
 * the difference means nothing until the next pair.
 */
export function ratesBetween(previous: CounterSample | undefined, next: CounterSample): Rates | undefined {
  if (!previous) return undefined;
  const seconds = (next.at - previous.at) / 1000;
  if (!(seconds > 0)) return undefined;
  const requests = next.requests - previous.requests;
  const errors = next.errors - previous.errors;
  if (requests < 0 || errors < 0) return undefined;
  return { requestsPerSecond: requests / seconds, errorsPerSecond: errors / seconds };
}
