import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import { staticResolver } from '../../discovery/resolvers/static.js';
import type { Resolver } from '../../discovery/types.js';
import type { Call } from '../../runtime/index.js';
import type { Endpoint } from '../endpoint.js';
import { instance } from '../../../test/discovery/support.js';
import { consistentHash } from './consistent-hash.js';
import { outlierDetector } from './outlier.js';
import { discoveryPicker } from './picker.js';
import { roundRobin } from './round-robin.js';

const call = (input: unknown = {}) => ({ input }) as Call;
const fail = { ok: false, latencyMs: 2 };

const resolver = staticResolver({
  services: [
    instance('o1', { zone: 'a' }),
    instance('o2', { zone: 'b' }),
    instance('o3', { zone: 'b', endpoints: { grpc: 'o3.test:50051' } }),
    instance('o4', { version: '2.0.0' }),
  ],
});

async function rejectsUnavailable(promise: Promise<unknown> | unknown): Promise<SwitchyardError> {
  const error = await Promise.resolve(promise).then(
    () => assert.fail('expected UNAVAILABLE'),
    (e: unknown) => e,
  );
  assert.ok(SwitchyardError.is(error, 'UNAVAILABLE'), String(error));
  return error;
}

describe('discovery picker', () => {
  it('returns the chosen instance’s endpoint for the protocol, skipping instances without one', async () => {
    const picker = discoveryPicker({
      resolver,
      service: 'orders',
      protocol: 'http',
      balancer: roundRobin({ start: 0 }),
      major: 1,
    });
    const picks = [];
    for (let i = 0; i < 4; i++) picks.push(await picker.pick(call()));
    const endpoint = ({ address, instanceId }: Endpoint) => ({ address, instanceId });
    assert.deepEqual(picks.map(endpoint), [
      { address: 'o1.test:80', instanceId: 'o1' },
      { address: 'o2.test:80', instanceId: 'o2' },
      { address: 'o1.test:80', instanceId: 'o1' },
      { address: 'o2.test:80', instanceId: 'o2' },
    ]);
    const grpc = discoveryPicker({ resolver, service: 'orders', protocol: 'grpc', major: 2 });
    assert.deepEqual(endpoint(await grpc.pick(call())), { address: 'o4.test:50051', instanceId: 'o4' });
  });

  it('fails with UNAVAILABLE (not sent) when nothing serves the service or the protocol', async () => {
    const none = discoveryPicker({ resolver, service: 'nobody', protocol: 'http' });
    const error = await rejectsUnavailable(none.pick(call()));
    assert.equal(error.details.notSent, true);
    const noGrpc = discoveryPicker({
      resolver: staticResolver({ services: { kitchen: ['127.0.0.1:1'] } }),
      service: 'kitchen',
      protocol: 'grpc',
    });
    await rejectsUnavailable(noGrpc.pick(call()));
  });

  it('passes resolver errors through (a resolver that never had an answer)', async () => {
    const down: Resolver = {
      resolve: () =>
        Promise.reject(new SwitchyardError('UNAVAILABLE', 'hub down', { details: { notSent: true } })),
    };
    await rejectsUnavailable(
      discoveryPicker({ resolver: down, service: 'orders', protocol: 'http' }).pick(call()),
    );
  });

  it('feeds outcomes to the outlier detector: a failing instance stops being picked', async () => {
    const t = { now: 0 };
    const outlier = outlierDetector({ consecutiveFailures: 3, maxEjectionPercent: 50, now: () => t.now });
    const picker = discoveryPicker({
      resolver,
      service: 'orders',
      protocol: 'http',
      balancer: roundRobin({ start: 0 }),
      outlier,
      major: 1,
    });
    for (let i = 0; i < 6; i++) {
      const endpoint = await picker.pick(call());
      picker.done!(endpoint, endpoint.instanceId === 'o1' ? fail : { ok: true, latencyMs: 2 });
    }
    assert.equal(outlier.isEjected('o1'), true);
    const next = await Promise.all([1, 2, 3].map(() => picker.pick(call())));
    assert.deepEqual(new Set(next.map((e) => e.instanceId)), new Set(['o2']));
    t.now = 30_000;
    const after = await Promise.all([1, 2].map(() => picker.pick(call())));
    assert.deepEqual(
      new Set(after.map((e) => e.instanceId)),
      new Set(['o1', 'o2']),
      'back after the ejection',
    );
  });

  it('does not hold caller faults against an instance', async () => {
    const outlier = outlierDetector({ consecutiveFailures: 2, maxEjectionPercent: 50 });
    const picker = discoveryPicker({ resolver, service: 'orders', protocol: 'http', outlier, major: 1 });
    for (let i = 0; i < 20; i++) {
      const endpoint = await picker.pick(call());
      picker.done!(endpoint, { ok: false, latencyMs: 1, callerFault: true });
    }
    assert.equal(outlier.isEjected('o1') || outlier.isEjected('o2'), false);
  });

  it('brackets each call for the balancer, once per pick', async () => {
    const seen: string[] = [];
    const picker = discoveryPicker({
      resolver,
      service: 'orders',
      protocol: 'http',
      major: 1,
      balancer: {
        pick: (list) => list[0],
        onStart: (i) => seen.push(`start ${i.id}`),
        onEnd: (i, o) => seen.push(`end ${i.id} ${o.ok}`),
      },
    });
    const endpoint = await picker.pick(call());
    picker.done!(endpoint, { ok: true, latencyMs: 1 });
    picker.done!(endpoint, { ok: true, latencyMs: 1 });
    assert.deepEqual(seen, ['start o1', 'end o1 true']);
  });

  it('gives the balancer the call’s key, so the same key reaches the same instance', async () => {
    const many = staticResolver({
      services: { carts: Array.from({ length: 8 }, (_, i) => `10.0.0.${i}:80`) },
    });
    const picker = discoveryPicker({
      resolver: many,
      service: 'carts',
      protocol: 'http',
      balancer: consistentHash(),
      key: (c) => (c.input as { cartId: string }).cartId,
    });
    const first = await picker.pick(call({ cartId: 'cart-42' }));
    for (let i = 0; i < 10; i++)
      assert.equal((await picker.pick(call({ cartId: 'cart-42' }))).address, first.address);
    const spread = new Set<string>();
    for (let i = 0; i < 200; i++) spread.add((await picker.pick(call({ cartId: `cart-${i}` }))).address);
    assert.ok(spread.size >= 6);
  });

  it('prefers the caller’s zone when given one', async () => {
    const picker = discoveryPicker({
      resolver,
      service: 'orders',
      protocol: 'http',
      zone: 'b',
      outlier: false,
      major: 1,
    });
    for (let i = 0; i < 20; i++) assert.equal((await picker.pick(call())).instanceId, 'o2');
  });
});
