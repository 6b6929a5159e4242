import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instance, seeded, tally } from '../../../test/discovery/support.js';
import { leastOutstanding } from './least-outstanding.js';

const ok = { ok: true, latencyMs: 5 };

describe('least outstanding requests', () => {
  it('picks the idle instance', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((id) => instance(id));
    const lb = leastOutstanding({ random: seeded(1) });
    lb.onStart!(a!);
    lb.onStart!(a!);
    lb.onStart!(b!);
    assert.equal(lb.pick([a!, b!, c!])!.id, 'c');
    lb.onStart!(c!);
    lb.onStart!(c!);
    assert.equal(lb.pick([a!, b!, c!])!.id, 'b', 'b has one in flight, a and c two');
    lb.onEnd!(a!, ok);
    lb.onEnd!(a!, ok);
    assert.equal(lb.pick([a!, b!, c!])!.id, 'a');
  });

  it('shares ties evenly', () => {
    const all = ['a', 'b', 'c', 'd'].map((id) => instance(id));
    const lb = leastOutstanding({ random: seeded(7) });
    const counts = tally(Array.from({ length: 8000 }, () => lb.pick(all)!));
    for (const id of ['a', 'b', 'c', 'd'])
      assert.ok(Math.abs(counts[id]! - 2000) < 250, `${id}: ${counts[id]}`);
  });

  it('keeps load level when calls end at different speeds', () => {
    const all = ['a', 'b'].map((id) => instance(id));
    const lb = leastOutstanding({ random: seeded(3) });
    // b never finishes a call: after its first one, everything goes to a.
    const picks = [];
    for (let i = 0; i < 10; i++) {
      const p = lb.pick(all)!;
      lb.onStart!(p);
      if (p.id === 'a') lb.onEnd!(p, ok);
      picks.push(p.id);
    }
    assert.equal(picks.filter((id) => id === 'b').length, 1);
  });
});
