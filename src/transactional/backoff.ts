import { equalJitter } from '../internal/backoff.js';

export interface BackoffSettings {
  /** Delay after the first failure; doubled after each further one. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Default 5000 ms. */
  readonly maxDelayMs?: number;
}

/** The delay after `failures` failures: never less than half the nominal delay, so retries stay spaced. */
export function backoffMs(failures: number, settings: BackoffSettings = {}): number {
  return Math.round(equalJitter(failures, settings.initialDelayMs ?? 100, settings.maxDelayMs ?? 5_000));
}
