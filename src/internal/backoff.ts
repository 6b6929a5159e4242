/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"):
 * a random delay between 0 and `initialMs * 2^(attempt-1)`, capped at `maxMs`. `attempt` starts at 1.
 */
export function fullJitter(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
  return random() * ceiling;
}
