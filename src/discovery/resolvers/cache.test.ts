import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RefreshingCache } from './cache.js';

describe('refreshing cache', () => {
  function setup() {
    const clock = { t: 0 };
    const events: string[] = [];
    const cache = new RefreshingCache<number>({
      ttlMs: 100,
      now: () => clock.t,
      onStale: (key, value) => events.push(`stale ${key} ${value}`),
      onFresh: (key) => events.push(`fresh ${key}`),
    });
    return { clock, events, cache };
  }

  it('loads once for concurrent callers and serves from memory while fresh', async () => {
    const { cache } = setup();
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    const [a, b] = await Promise.all([cache.get('k', load), cache.get('k', load)]);
    assert.deepEqual([a, b, await cache.get('k', load)], [1, 1, 1]);
    assert.equal(loads, 1);
  });

  it('refreshes behind the caller once the value is old', async () => {
    const { clock, cache } = setup();
    let value = 1;
    const load = () => Promise.resolve(value);
    await cache.get('k', load);
    value = 2;
    clock.t = 100;
    assert.equal(await cache.get('k', load), 1, 'the caller does not wait for the refresh');
    await cache.settled();
    assert.equal(await cache.get('k', load), 2);
  });

  it('keeps serving the last value when refreshes fail, reporting it once, and recovers', async () => {
    const { clock, events, cache } = setup();
    let up = true;
    const load = () => (up ? Promise.resolve(7) : Promise.reject(new Error('down')));
    await cache.get('k', load);
    up = false;
    for (let i = 1; i <= 3; i++) {
      clock.t = i * 100;
      assert.equal(await cache.get('k', load), 7);
      await cache.settled();
    }
    up = true;
    clock.t = 400;
    await cache.get('k', load);
    await cache.settled();
    assert.deepEqual(events, ['stale k 7', 'fresh k']);
  });

  it('rejects when there has never been a value', async () => {
    const { cache } = setup();
    await assert.rejects(
      cache.get('k', () => Promise.reject(new Error('down'))),
      /down/,
    );
    assert.equal(await cache.get('k', () => Promise.resolve(1)), 1, 'and tries again next time');
  });
});
