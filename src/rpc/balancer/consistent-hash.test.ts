import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instance, tally } from '../../../test/discovery/support.js';
import { consistentHash, hash32 } from './consistent-hash.js';
import { roundRobin } from './round-robin.js';

const ten = Array.from({ length: 10 }, (_, i) => instance(`orders-${i}`));
const keys = Array.from({ length: 10_000 }, (_, i) => `customer-${i}`);

describe('consistent hash', () => {
  it('sends the same key to the same instance, whatever the order of the list', () => {
    const lb = consistentHash();
    const first = keys.slice(0, 100).map((key) => lb.pick(ten, { key })!.id);
    const again = keys.slice(0, 100).map((key) => lb.pick(ten, { key })!.id);
    const reversed = keys.slice(0, 100).map((key) => consistentHash().pick([...ten].reverse(), { key })!.id);
    assert.deepEqual(again, first);
    assert.deepEqual(reversed, first);
  });

  it('spreads keys evenly enough over the instances', () => {
    const lb = consistentHash();
    const counts = tally(keys.map((key) => lb.pick(ten, { key })!));
    for (const [id, n] of Object.entries(counts)) assert.ok(n > 600 && n < 1400, `${id}: ${n} of 10 000`);
  });

  it('moves only the keys of an instance that leaves (about 1/N), and spreads them over the rest', () => {
    const lb = consistentHash();
    const before = new Map(keys.map((key) => [key, lb.pick(ten, { key })!.id]));
    const gone = 'orders-3';
    const nine = ten.filter((i) => i.id !== gone);
    const moved = keys.filter((key) => lb.pick(nine, { key })!.id !== before.get(key));
    assert.ok(
      moved.every((key) => before.get(key) === gone),
      'no key moves between instances that stayed',
    );
    assert.equal(
      moved.length,
      [...before.values()].filter((id) => id === gone).length,
      'all of its keys moved',
    );
    assert.ok(moved.length > 600 && moved.length < 1400, `${moved.length} of 10 000 keys moved`);
    const receivers = new Set(moved.map((key) => lb.pick(nine, { key })!.id));
    assert.ok(receivers.size >= 7, `its keys went to ${receivers.size} instances`);

    const back = keys.filter((key) => lb.pick(ten, { key })!.id !== before.get(key));
    assert.equal(back.length, 0, 'when it returns, its keys come back to it');
  });

  it('uses the fallback for calls without a key', () => {
    const lb = consistentHash({ fallback: roundRobin({ start: 0 }) });
    assert.deepEqual([lb.pick(ten)!.id, lb.pick(ten)!.id], ['orders-0', 'orders-1']);
    assert.equal(lb.pick([], { key: 'k' }), undefined);
  });

  it('hashes to 32 bits with a good spread of similar strings', () => {
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) buckets[hash32(`id#${i}`) >>> 28]!++;
    for (const n of buckets) assert.ok(n > 800 && n < 1200, `bucket of ${n}`);
    assert.equal(hash32('a'), hash32('a'));
    assert.ok(hash32('a') >= 0 && hash32('a') < 2 ** 32);
  });
});
