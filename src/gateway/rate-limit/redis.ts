import type { Redis } from 'ioredis';
import { SwitchyardError } from '../../errors/index.js';
import { connect, runScript, script } from '../../messaging/redis/link.js';
import { gcraParams, toDecision } from './gcra.js';
import type { RateLimiter } from './types.js';

export interface RedisRateLimiterOptions {
  /** Default `redis://127.0.0.1:6379`; ignored when `client` is given. */
  url?: string;
  /** A connection to use instead of opening one; the limiter never closes it. */
  client?: Redis;
  /**
   * Prepended to every key; gateways that share limits share it, and test runs each use their own.
   * Default `switchyard:rl:`.
   */
  prefix?: string;
  /** A `take` that gets no answer in this time rejects with UNAVAILABLE. Default 1000 ms. */
  commandTimeoutMs?: number;
}

/**
 * `gcraStep` (gcra.ts) as one atomic script. The clock is the Redis server's (`TIME`), so gateways
 * whose clocks disagree still share one timeline. The key expires when the bucket has refilled, so
 * idle clients cost Redis nothing. Integers only cross the Lua boundary: Lua numbers become integer
 * replies by truncation, and `%.0f` writes the arrival time without losing digits.
 */
const gcraScript = script(`
if redis.replicate_commands then redis.replicate_commands() end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local nextTat = tat + interval
if nextTat - now > tolerance then
  return {0, 0, tat - now, nextTat - tolerance - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', nextTat), 'PX', math.ceil((nextTat - now) / 1000))
return {1, math.floor((tolerance - (nextTat - now)) / interval), nextTat - now, 0}
`);

/** GCRA in Redis, so any number of gateways sharing `prefix` enforce one limit per key. */
export function redisRateLimiter(options: RedisRateLimiterOptions = {}): RateLimiter {
  const prefix = options.prefix ?? 'switchyard:rl:';
  if (typeof prefix !== 'string' || prefix === '')
    throw new SwitchyardError('INVALID_ARGUMENT', 'the rate limit key prefix must be a non-empty string');
  const url = options.url ?? 'redis://127.0.0.1:6379';
  const commandTimeout = options.commandTimeoutMs ?? 1000;
  let connecting: Promise<Redis> | undefined = options.client ? Promise.resolve(options.client) : undefined;
  let owned: Redis | undefined;
  let closed = false;

  // A rate check sits on the request path: fail it fast rather than queue it through reconnects.
  const connection = (): Promise<Redis> =>
    (connecting ??= connect({ url, name: 'switchyard-rate-limit', failFastMs: commandTimeout }).then(
      (client) => (owned = client),
      (error: unknown) => {
        connecting = undefined;
        throw error;
      },
    ));

  return {
    async take(key, rule) {
      if (closed) throw new SwitchyardError('FAILED_PRECONDITION', 'the rate limiter is closed');
      const params = gcraParams(rule);
      const redis = await connection();
      let reply: unknown;
      try {
        reply = await runScript(redis, gcraScript, [prefix + key], [params.intervalUs, params.toleranceUs]);
      } catch (error) {
        throw new SwitchyardError(
          'UNAVAILABLE',
          `rate limit store ${url} unavailable: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      const [allowed, remaining, resetUs, retryAfterUs] = reply as [number, number, number, number];
      return toDecision(params, { allowed: allowed === 1, remaining, resetUs, retryAfterUs });
    },
    async close() {
      closed = true;
      if (owned) await owned.quit().catch(() => owned?.disconnect());
    },
  };
}
