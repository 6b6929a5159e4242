import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instance, tally } from '../../../test/discovery/support.js';
import { roundRobin } from './round-robin.js';
import { zonePreference } from './zone-preference.js';

const a1 = instance('a1', { zone: 'a' });
const a2 = instance('a2', { zone: 'a' });
const b1 = instance('b1', { zone: 'b' });
const b2 = instance('b2', { zone: 'b' });
const all = [a1, a2, b1, b2];

describe('zone preference', () => {
  it('keeps calls in the caller’s zone while it has instances', () => {
    const lb = zonePreference({ zone: 'a', balancer: roundRobin({ start: 0 }) });
    assert.deepEqual(tally(Array.from({ length: 100 }, () => lb.pick(all)!)), { a1: 50, a2: 50 });
  });

  it('spills to every zone when its zone has none', () => {
    const lb = zonePreference({ zone: 'c', balancer: roundRobin({ start: 0 }) });
    assert.deepEqual(tally(Array.from({ length: 100 }, () => lb.pick(all)!)), {
      a1: 25,
      a2: 25,
      b1: 25,
      b2: 25,
    });
  });

  it('spills when too few of the zone’s instances are left (the rest ejected)', () => {
    const lb = zonePreference({ zone: 'a', balancer: roundRobin({ start: 0 }), minAvailablePercent: 60 });
    const available = [a1, b1, b2]; // a2 ejected: one of two left in zone a, 50% < 60%
    const counts = tally(Array.from({ length: 90 }, () => lb.pick(available, { all })!));
    assert.deepEqual(counts, { a1: 30, b1: 30, b2: 30 });
    const stays = zonePreference({ zone: 'a', balancer: roundRobin({ start: 0 }) });
    assert.deepEqual(
      tally(Array.from({ length: 10 }, () => stays.pick(available, { all })!)),
      { a1: 10 },
      'default 50% is enough',
    );
  });

  it('spills when the zone has fewer than minInstances', () => {
    const lb = zonePreference({ zone: 'a', balancer: roundRobin({ start: 0 }), minInstances: 3 });
    assert.equal(new Set(Array.from({ length: 8 }, () => lb.pick(all)!.zone)).size, 2);
  });

  it('passes call starts and ends to the balancer it wraps', () => {
    const seen: string[] = [];
    const lb = zonePreference({
      zone: 'a',
      balancer: {
        pick: (l) => l[0],
        onStart: (i) => seen.push(`start ${i.id}`),
        onEnd: (i) => seen.push(`end ${i.id}`),
      },
    });
    const p = lb.pick(all)!;
    lb.onStart!(p);
    lb.onEnd!(p, { ok: true, latencyMs: 1 });
    assert.deepEqual(seen, ['start a1', 'end a1']);
  });
});
