import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instance, seeded, tally } from '../../../test/discovery/support.js';
import { random } from './random.js';

describe('random', () => {
  it('spreads evenly within statistical bounds', () => {
    const four = ['a', 'b', 'c', 'd'].map((id) => instance(id));
    const b = random({ random: seeded(42) });
    const n = 20_000;
    const counts = tally(Array.from({ length: n }, () => b.pick(four)!));
    // Binomial(n, 1/4): sd ≈ 61; ±5 sd is far beyond chance for a fair pick, and a biased one fails it.
    const sd = Math.sqrt(n * 0.25 * 0.75);
    for (const id of ['a', 'b', 'c', 'd']) {
      assert.ok(Math.abs(counts[id]! - n / 4) < 5 * sd, `${id}: ${counts[id]}`);
    }
  });

  it('uses the injected randomness at both ends of its range', () => {
    const three = ['a', 'b', 'c'].map((id) => instance(id));
    assert.equal(random({ random: () => 0 }).pick(three)!.id, 'a');
    assert.equal(random({ random: () => 0.9999999 }).pick(three)!.id, 'c');
    assert.equal(random().pick([]), undefined);
  });
});
