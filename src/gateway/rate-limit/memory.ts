import { SwitchyardError } from '../../errors/index.js';
import { gcraParams, gcraStep, toDecision } from './gcra.js';
import type { RateDecision, RateLimiter, RateRule } from './types.js';

export interface MemoryRateLimiterOptions {
  /** Clock in milliseconds; default `performance.now` (monotonic, immune to wall-clock jumps). */
  now?: () => number;
  /** Most keys kept; past it the least recently used key is dropped. Default 100 000. */
  maxKeys?: number;
  /** How often keys whose bucket has refilled are dropped. Default 10 s. */
  sweepIntervalMs?: number;
}

export interface MemoryRateLimiter extends RateLimiter {
  /** Keys currently held. */
  readonly size: number;
}

/**
 * GCRA for one process. A key whose bucket has refilled holds no information (a new key behaves the
 * same), so it is dropped by a sweep that runs inside `take` at most every `sweepIntervalMs`: no timer,
 * and memory follows the number of recently active clients. `maxKeys` bounds it under a flood of
 * distinct keys; an evicted client starts with a full bucket, which errs on the side of admitting.
 */
export function memoryRateLimiter(options: MemoryRateLimiterOptions = {}): MemoryRateLimiter {
  const now = options.now ?? (() => performance.now());
  const maxKeys = options.maxKeys ?? 100_000;
  const sweepIntervalUs = (options.sweepIntervalMs ?? 10_000) * 1000;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1)
    throw new SwitchyardError('INVALID_ARGUMENT', 'maxKeys must be an integer >= 1');
  // Values are theoretical arrival times; Map order is recency of use (re-inserted on every take).
  const tats = new Map<string, number>();
  let lastSweepUs = Math.floor(now() * 1000);
  let closed = false;

  const sweep = (nowUs: number) => {
    lastSweepUs = nowUs;
    for (const [key, tat] of tats) if (tat <= nowUs) tats.delete(key);
  };

  const takeNow = (key: string, rule: RateRule): RateDecision => {
    if (closed) throw new SwitchyardError('FAILED_PRECONDITION', 'the rate limiter is closed');
    const params = gcraParams(rule);
    const nowUs = Math.floor(now() * 1000);
    if (nowUs - lastSweepUs >= sweepIntervalUs) sweep(nowUs);
    const stored = tats.get(key);
    const step = gcraStep(params, stored, nowUs);
    if (step.allowed) {
      tats.delete(key);
      tats.set(key, step.tatUs);
      if (tats.size > maxKeys) {
        sweep(nowUs);
        for (const oldest of tats.keys()) {
          if (tats.size <= maxKeys) break;
          tats.delete(oldest);
        }
      }
    }
    return toDecision(params, step);
  };

  return {
    get size() {
      return tats.size;
    },
    take(key, rule) {
      try {
        return Promise.resolve(takeNow(key, rule));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    async close() {
      closed = true;
      tats.clear();
    },
  };
}
