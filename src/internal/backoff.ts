/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"):
 * a random delay between 0 and `initialMs * 2^(attempt-1)`, capped at `maxMs`. `attempt` starts at 1.
 */
export function fullJitter(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
  return random() * ceiling;
}

/**
 * Exponential backoff with equal jitter: between half and all of `initialMs * 2^(attempt-1)`, capped
 * at `maxMs`. Never near zero, so a source that is down is not hammered, and clients that failed
 * together still spread out. `attempt` starts at 1.
 */
export function equalJitter(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 30));
  return ceiling / 2 + (random() * ceiling) / 2;
}
