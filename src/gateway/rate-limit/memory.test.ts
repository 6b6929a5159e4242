import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import { rateLimitedError, rateLimitHeaders } from './headers.js';
import { memoryRateLimiter } from './memory.js';

function clock(startMs = 1_000) {
  let ms = startMs;
  return { now: () => ms, advance: (by: number) => void (ms += by) };
}

async function admitted(take: () => Promise<{ allowed: boolean }>, attempts: number): Promise<number> {
  let n = 0;
  for (let i = 0; i < attempts; i++) if ((await take()).allowed) n++;
  return n;
}

describe('memory rate limiter', () => {
  it('admits exactly the burst at once, then one request per emission interval', async () => {
    const time = clock();
    const limiter = memoryRateLimiter({ now: time.now });
    const rule = { limit: 5, windowMs: 1000 };
    const first = await limiter.take('a', rule);
    assert.deepEqual(first, {
      allowed: true,
      limit: 5,
      remaining: 4,
      resetMs: 200,
      retryAfterMs: 0,
      windowMs: 1000,
      burst: 5,
    });
    assert.equal(await admitted(() => limiter.take('a', rule), 10), 4);
    const denied = await limiter.take('a', rule);
    assert.equal(denied.allowed, false);
    assert.equal(denied.remaining, 0);
    assert.equal(denied.retryAfterMs, 200);
    assert.equal(denied.resetMs, 1000);

    time.advance(199);
    assert.equal((await limiter.take('a', rule)).allowed, false);
    time.advance(1);
    const again = await limiter.take('a', rule);
    assert.equal(again.allowed, true);
    assert.equal(again.remaining, 0);
    assert.equal((await limiter.take('a', rule)).allowed, false);

    // A full window of rest refills the whole burst, and no more.
    time.advance(1000);
    assert.equal(await admitted(() => limiter.take('a', rule), 10), 5);
    await limiter.close();
  });

  it('keeps keys apart and honours a burst smaller than the limit', async () => {
    const time = clock();
    const limiter = memoryRateLimiter({ now: time.now });
    const rule = { limit: 100, windowMs: 1000, burst: 3 };
    assert.equal(await admitted(() => limiter.take('x', rule), 10), 3);
    assert.equal(await admitted(() => limiter.take('y', rule), 10), 3);
    time.advance(10);
    assert.equal(await admitted(() => limiter.take('x', rule), 10), 1);
    await limiter.close();
  });

  it('never admits more than limit + burst in any window under a steady flood', async () => {
    const time = clock();
    const limiter = memoryRateLimiter({ now: time.now });
    const rule = { limit: 7, windowMs: 1000, burst: 4 };
    const admittedAt: number[] = [];
    for (let t = 0; t < 5000; t += 3) {
      if ((await limiter.take('flood', rule)).allowed) admittedAt.push(t);
      time.advance(3);
    }
    for (let i = 0; i < admittedAt.length; i++) {
      const inWindow = admittedAt.filter((t) => t >= admittedAt[i]! && t < admittedAt[i]! + 1000).length;
      assert.ok(inWindow <= rule.limit + rule.burst, `${inWindow} admitted in a window`);
    }
    // The sustained rate is the rule's: burst + 7/s over 5 s, give or take rounding.
    assert.ok(Math.abs(admittedAt.length - (4 + 35)) <= 1, `admitted ${admittedAt.length}`);
    await limiter.close();
  });

  it('drops idle keys and bounds the number of keys', async () => {
    const time = clock();
    const limiter = memoryRateLimiter({ now: time.now, sweepIntervalMs: 1000, maxKeys: 50 });
    const rule = { limit: 10, windowMs: 500 };
    for (let i = 0; i < 40; i++) await limiter.take(`k${i}`, rule);
    assert.equal(limiter.size, 40);
    time.advance(1000);
    await limiter.take('fresh', rule);
    assert.equal(limiter.size, 1, 'refilled buckets are swept');
    for (let i = 0; i < 200; i++) await limiter.take(`flood${i}`, rule);
    assert.equal(limiter.size, 50);
    // The most recently used key survives the eviction.
    await limiter.take('flood199', rule);
    assert.equal((await limiter.take('flood199', rule)).remaining, 7);
    await limiter.close();
  });

  it('rejects invalid rules', async () => {
    const limiter = memoryRateLimiter();
    for (const rule of [
      { limit: 0, windowMs: 1000 },
      { limit: 1.5, windowMs: 1000 },
      { limit: 10, windowMs: 0 },
      { limit: 10, windowMs: Number.NaN },
      { limit: 10, windowMs: 1000, burst: 0 },
    ]) {
      await assert.rejects(limiter.take('k', rule), (e) => SwitchyardError.is(e, 'INVALID_ARGUMENT'));
    }
    await limiter.close();
    await assert.rejects(limiter.take('k', { limit: 1, windowMs: 1 }), (e) =>
      SwitchyardError.is(e, 'FAILED_PRECONDITION'),
    );
  });
});

describe('rate limit headers', () => {
  it('writes the draft-06 fields, and Retry-After only on a denial', async () => {
    const time = clock();
    const limiter = memoryRateLimiter({ now: time.now });
    const rule = { limit: 2, windowMs: 60_000 };
    assert.deepEqual(rateLimitHeaders(await limiter.take('h', rule)), {
      'ratelimit-limit': '2',
      'ratelimit-remaining': '1',
      'ratelimit-reset': '30',
      'ratelimit-policy': '2;w=60;burst=2',
    });
    await limiter.take('h', rule);
    time.advance(500);
    const denied = await limiter.take('h', rule);
    const headers = rateLimitHeaders(denied);
    assert.equal(headers['retry-after'], '30');
    assert.equal(headers['ratelimit-remaining'], '0');
    const error = rateLimitedError(denied);
    assert.equal(error.code, 'RESOURCE_EXHAUSTED');
    assert.equal(error.httpStatus, 429);
    assert.equal(error.details.retryAfterMs, 29_500);
  });
});
