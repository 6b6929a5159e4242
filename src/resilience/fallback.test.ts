import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError, type Code } from '../errors/index.js';
import { fallback, OMITTED, type FallbackEvent } from './fallback.js';

const error = (code: Code) => new SwitchyardError(code, code);
const failing = (code: Code) => () => Promise.reject(error(code));

describe('fallback', () => {
  it('value: stands in for a failed call and says so', async () => {
    const policy = fallback({ kind: 'value', value: { items: [] as string[] } });
    const events: FallbackEvent[] = [];
    policy.onFallback((e) => events.push(e));
    assert.deepEqual(await policy.execute(failing('UNAVAILABLE')), { items: [] });
    assert.equal(await policy.execute(async () => 'real'), 'real');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.kind, 'value');
  });

  it('omit: returns the OMITTED sentinel', async () => {
    assert.equal(await fallback({ kind: 'omit' }).execute(failing('CIRCUIT_OPEN')), OMITTED);
  });

  it('rethrow: never stands in', async () => {
    await assert.rejects(fallback({ kind: 'rethrow' }).execute(failing('UNAVAILABLE')), (e) =>
      SwitchyardError.is(e, 'UNAVAILABLE'),
    );
  });

  it('by default handles unanswered calls only: not answers about the request, cancellations or bugs', async () => {
    const policy = fallback({ kind: 'value', value: 'fallback' });
    for (const code of [
      'UNAVAILABLE',
      'DEADLINE_EXCEEDED',
      'INTERNAL',
      'CIRCUIT_OPEN',
      'BULKHEAD_FULL',
    ] as const)
      assert.equal(await policy.execute(failing(code)), 'fallback', code);
    for (const code of ['INVALID_ARGUMENT', 'NOT_FOUND', 'PERMISSION_DENIED', 'CANCELLED'] as const)
      await assert.rejects(policy.execute(failing(code)), (e) => SwitchyardError.is(e, code));
    await assert.rejects(
      policy.execute(() => Promise.reject(new TypeError('bug'))),
      TypeError,
    );
  });

  it('uses a custom handles', async () => {
    const policy = fallback({ kind: 'value', value: 0, handles: (e) => SwitchyardError.is(e, 'NOT_FOUND') });
    assert.equal(await policy.execute(failing('NOT_FOUND')), 0);
    await assert.rejects(policy.execute(failing('UNAVAILABLE')));
  });

  it('cache: serves the last good result per input while younger than maxAgeMs', async () => {
    const clock = { t: 0 };
    const policy = fallback({ kind: 'cache', maxAgeMs: 1000, now: () => clock.t });
    await policy.execute(async () => 'menu of r1', { input: { restaurantId: 'r1' } });
    await policy.execute(async () => 'menu of r2', { input: { restaurantId: 'r2' } });
    clock.t = 999;
    assert.equal(
      await policy.execute(failing('UNAVAILABLE'), { input: { restaurantId: 'r1' } }),
      'menu of r1',
    );
    assert.equal(
      await policy.execute(failing('UNAVAILABLE'), { input: { restaurantId: 'r2' } }),
      'menu of r2',
    );
    await assert.rejects(policy.execute(failing('UNAVAILABLE'), { input: { restaurantId: 'r3' } }));
    clock.t = 1000; // exactly maxAgeMs old: stale
    await assert.rejects(policy.execute(failing('UNAVAILABLE'), { input: { restaurantId: 'r1' } }), (e) =>
      SwitchyardError.is(e, 'UNAVAILABLE'),
    );
  });

  it('cache: keys by the key function and forgets the oldest past maxEntries', async () => {
    const policy = fallback({
      kind: 'cache',
      maxAgeMs: 1000,
      maxEntries: 2,
      key: (input) => (input as { id: string }).id,
      now: () => 0,
    });
    for (const id of ['a', 'b', 'a', 'c'])
      await policy.execute(async () => `${id}!`, { input: { id, noise: id } });
    assert.equal(await policy.execute(failing('UNAVAILABLE'), { input: { id: 'a' } }), 'a!');
    assert.equal(await policy.execute(failing('UNAVAILABLE'), { input: { id: 'c' } }), 'c!');
    await assert.rejects(policy.execute(failing('UNAVAILABLE'), { input: { id: 'b' } }));
  });

  it('reads no clock unless it caches', async () => {
    let reads = 0;
    const policy = fallback({ kind: 'value', value: 1, now: () => (reads++, 0) });
    await policy.execute(async () => 2);
    await policy.execute(failing('UNAVAILABLE'));
    assert.equal(reads, 0);
  });
});
