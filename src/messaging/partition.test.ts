import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { murmur3, partitionFor } from './partition.js';

describe('partitioning', () => {
  it('is murmur3 x86 32-bit (reference vectors)', () => {
    const hash = (s: string, seed = 0) => murmur3(Buffer.from(s, 'utf8'), seed);
    assert.equal(hash(''), 0);
    assert.equal(hash('', 1), 0x514e28b7);
    assert.equal(hash('hello'), 0x248bfa47);
    assert.equal(hash('The quick brown fox jumps over the lazy dog'), 0x2e4ff723);
    assert.equal(hash('abc'), 0xb3dd93fa);
    assert.equal(hash('abcd'), 0x43ed676a);
  });

  it('maps a key to the same partition every time and spreads keys evenly', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 80_000; i++) {
      const p = partitionFor(`order-${i}`, 8);
      assert.equal(p, partitionFor(`order-${i}`, 8));
      counts[p]!++;
    }
    for (const count of counts) assert.ok(count > 9_000 && count < 11_000, String(counts));
  });

  it('rejects a partition count that is not a positive integer', () => {
    assert.throws(() => partitionFor('k', 0), RangeError);
    assert.throws(() => partitionFor('k', 1.5), RangeError);
    assert.equal(partitionFor('anything', 1), 0);
  });
});
