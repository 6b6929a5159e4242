import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instance, tally } from '../../../test/discovery/support.js';
import { roundRobin } from './round-robin.js';

const three = [instance('a'), instance('b'), instance('c')];

describe('round robin', () => {
  it('visits each instance in turn, exactly evenly', () => {
    const b = roundRobin({ start: 0 });
    const picks = Array.from({ length: 9 }, () => b.pick(three)!);
    assert.deepEqual(
      picks.map((p) => p.id),
      ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c'],
    );
  });

  it('spreads exactly evenly from a random start', () => {
    const b = roundRobin();
    assert.deepEqual(tally(Array.from({ length: 3000 }, () => b.pick(three)!)), {
      a: 1000,
      b: 1000,
      c: 1000,
    });
  });

  it('follows a list that changes and has nothing to pick from an empty one', () => {
    const b = roundRobin({ start: 0 });
    assert.equal(b.pick([]), undefined);
    assert.equal(b.pick(three)!.id, 'a', 'an empty list does not advance the rotation');
    const two = three.slice(0, 2);
    assert.deepEqual([b.pick(two)!.id, b.pick(two)!.id, b.pick(two)!.id], ['b', 'a', 'b']);
  });
});
