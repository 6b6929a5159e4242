export interface BackoffSettings {
  /** Delay after the first failure; doubled after each further one. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Default 5000 ms. */
  readonly maxDelayMs?: number;
}

/** Exponential backoff with half jitter: never less than half the nominal delay, so retries stay spaced. */
export function backoffMs(failures: number, settings: BackoffSettings = {}): number {
  const initial = settings.initialDelayMs ?? 100;
  const max = settings.maxDelayMs ?? 5_000;
  const nominal = Math.min(max, initial * 2 ** Math.max(0, failures - 1));
  return Math.round(nominal / 2 + (Math.random() * nominal) / 2);
}
