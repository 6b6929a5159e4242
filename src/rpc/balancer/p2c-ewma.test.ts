import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Instance } from '../../discovery/types.js';
import { instance, seeded } from '../../../test/discovery/support.js';
import type { Balancer } from './balancer.js';
import { p2cEwma } from './p2c-ewma.js';
import { roundRobin } from './round-robin.js';

/**
 * A discrete-event simulation on a fake clock: a call arrives every `gapMs`, goes where the balancer
 * says, and ends after that instance's latency. Returns each instance's share of the calls.
 */
function simulate(
  make: (now: () => number) => Balancer,
  latencies: Record<string, number>,
  options: { calls?: number; gapMs?: number; failing?: string } = {},
): Record<string, number> {
  const { calls = 1000, gapMs = 2 } = options;
  let t = 0;
  const balancer = make(() => t);
  const instances = Object.keys(latencies).map((id) => instance(id));
  const pending: { at: number; instance: Instance; latency: number }[] = [];
  const counts: Record<string, number> = Object.fromEntries(instances.map((i) => [i.id, 0]));
  for (let call = 0; call < calls; call++) {
    t = call * gapMs;
    pending.sort((a, b) => a.at - b.at);
    while (pending.length > 0 && pending[0]!.at <= t) {
      const done = pending.shift()!;
      const failed = done.instance.id === options.failing;
      balancer.onEnd?.(done.instance, { ok: !failed, latencyMs: done.latency });
    }
    const picked = balancer.pick(instances)!;
    balancer.onStart?.(picked);
    counts[picked.id]!++;
    pending.push({ at: t + latencies[picked.id]!, instance: picked, latency: latencies[picked.id]! });
  }
  return Object.fromEntries(Object.entries(counts).map(([id, n]) => [id, n / calls]));
}

describe('p2c-EWMA', () => {
  const latencies = { a: 10, b: 10, c: 10, d: 10, slow: 200 };

  it('sends a slow instance far less than its share (1000 calls, one of five instances 20× slower)', (t) => {
    const share = simulate((now) => p2cEwma({ random: seeded(1), now }), latencies);
    const even = simulate(() => roundRobin({ start: 0 }), latencies);
    t.diagnostic(`slow instance share: p2c-EWMA ${share.slow}, round robin ${even.slow}`);
    assert.ok(share.slow! < 0.2, `slow instance got ${share.slow}`);
    assert.ok(share.slow! < 0.05, 'in fact only the occasional probe');
    assert.equal(even.slow, 0.2);
  });

  it('penalises calls in flight, so equal instances share the load', () => {
    const share = simulate(
      (now) => p2cEwma({ random: seeded(2), now }),
      { a: 10, b: 10, c: 10 },
      { gapMs: 1 },
    );
    for (const id of ['a', 'b', 'c']) assert.ok(Math.abs(share[id]! - 1 / 3) < 0.06, `${id}: ${share[id]}`);
  });

  it('does not send a burst to an instance with no data: one probe until it answers', () => {
    let t = 0;
    const lb = p2cEwma({ random: seeded(3), now: () => t });
    const [a, b, fresh] = ['a', 'b', 'fresh'].map((id) => instance(id)) as [Instance, Instance, Instance];
    for (const i of [a, b]) {
      lb.onStart!(i);
      lb.onEnd!(i, { ok: true, latencyMs: 20 });
    }
    const picks: string[] = [];
    for (let n = 0; n < 50; n++) {
      t += 1;
      const p = lb.pick([a, b, fresh])!;
      lb.onStart!(p);
      picks.push(p.id);
    }
    assert.equal(
      picks.filter((id) => id === 'fresh').length,
      1,
      'an idle unknown instance costs nothing, a busy one a lot',
    );
  });

  it('counts a fast failure as slow, so a failing instance does not become a black hole', () => {
    const lat = { a: 10, b: 10, broken: 1 };
    const share = simulate((now) => p2cEwma({ random: seeded(4), now }), lat, { failing: 'broken' });
    const unpenalised = simulate((now) => p2cEwma({ random: seeded(4), now, failurePenalty: 1 }), lat, {
      failing: 'broken',
    });
    assert.ok(unpenalised.broken! > 0.5, `without the penalty its fast failures draw ${unpenalised.broken}`);
    assert.ok(share.broken! < 0.05, `failing instance got ${share.broken}`);
  });

  it('lets an avoided instance back in once its estimate has decayed', () => {
    let t = 0;
    const lb = p2cEwma({ random: seeded(5), now: () => t, decayMs: 1000 });
    const [fast, slow] = [instance('fast'), instance('slow')];
    for (const [i, ms] of [
      [fast, 10],
      [slow, 1000],
    ] as const) {
      lb.onStart!(i);
      lb.onEnd!(i, { ok: true, latencyMs: ms });
    }
    assert.equal(lb.pick([fast, slow])!.id, 'fast');
    t += 10_000; // ten decay periods without hearing from the slow one
    lb.onStart!(fast);
    lb.onEnd!(fast, { ok: true, latencyMs: 10 });
    assert.equal(lb.pick([fast, slow])!.id, 'slow', 'probed again');
  });

  it('picks the only instance, and nothing from an empty list', () => {
    const lb = p2cEwma();
    assert.equal(lb.pick([instance('a')])!.id, 'a');
    assert.equal(lb.pick([]), undefined);
  });
});
