import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SwitchyardError } from '../../src/errors/index.js';
import { hubResolver, type HubResolver, type HubResolverOptions } from '../../src/discovery/resolvers/hub.js';
import type { FreshEvent, StaleEvent } from '../../src/discovery/resolvers/common.js';
import type { Instance } from '../../src/discovery/types.js';
import { startFakeHub, type FakeHub } from './fake-hub.js';
import { ids, registration, until } from './support.js';

describe('hub resolver', () => {
  let hub: FakeHub;
  const open: HubResolver[] = [];
  const resolver = (options: HubResolverOptions = {}) => {
    const r = hubResolver({
      url: hub.url,
      backoff: { initialMs: 20, maxMs: 100 },
      waitSeconds: 5,
      ...options,
    });
    open.push(r);
    return r;
  };

  before(async () => {
    hub = await startFakeHub();
  });
  beforeEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
    hub.forget();
    hub.requests.length = 0;
  });
  after(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
    await hub.stop();
  });

  it('reads a service once, then answers from its cache', async () => {
    hub.register(registration('orders-1'));
    hub.register(registration('orders-2'));
    const r = resolver();
    assert.deepEqual(ids(await r.resolve('orders')), ['orders-1', 'orders-2']);
    const first = await r.resolve('orders');
    assert.equal(await r.resolve('orders'), first, 'the same frozen array until something changes');
    const plainReads = hub.requests.filter((q) => q === 'GET /v1/registry/services/orders');
    assert.equal(plainReads.length, 1);
  });

  it('caches per major version and asks the hub to filter', async () => {
    hub.register(registration('v1', { version: '1.4.0' }));
    hub.register(registration('v2', { version: '2.0.1' }));
    const r = resolver();
    assert.deepEqual(ids(await r.resolve('orders', { major: 2 })), ['v2']);
    assert.deepEqual(ids(await r.resolve('orders', { major: 1 })), ['v1']);
    assert.deepEqual(ids(await r.resolve('orders')), ['v1', 'v2']);
    assert.ok(hub.requests.includes('GET /v1/registry/services/orders?major=2'));
  });

  it('delivers a change to watchers well within a second', async () => {
    hub.register(registration('orders-1'));
    const r = resolver();
    const seen: string[][] = [];
    r.watch('orders', (instances) => seen.push(ids(instances)));
    await until(() => (seen.length > 0 ? true : undefined));
    const started = performance.now();
    hub.register(registration('orders-2'));
    await until(() => (seen.at(-1)?.length === 2 ? true : undefined));
    assert.ok(performance.now() - started < 1000);
    assert.deepEqual(seen, [['orders-1'], ['orders-1', 'orders-2']]);
    assert.deepEqual(ids(await r.resolve('orders')), ['orders-1', 'orders-2']);
  });

  it('serves the last known instances while the hub is down, says so once, and resumes when it is back', async () => {
    hub.register(registration('orders-1'));
    const r = resolver();
    const stale: StaleEvent[] = [];
    const fresh: FreshEvent[] = [];
    r.onStale((e) => stale.push(e));
    r.onFresh((e) => fresh.push(e));
    const seen: string[][] = [];
    r.watch('orders', (instances) => seen.push(ids(instances)));
    assert.deepEqual(ids(await r.resolve('orders')), ['orders-1']);

    await hub.stop();
    await until(() => (stale.length > 0 ? true : undefined));
    assert.deepEqual(ids(await r.resolve('orders')), ['orders-1'], 'still served from the cache');
    await new Promise((resolve) => setTimeout(resolve, 250)); // several reconnect attempts fail meanwhile
    assert.equal(stale.length, 1, 'one stale event per outage, not one per attempt');
    assert.equal(stale[0]!.service, 'orders');
    assert.equal(stale[0]!.instances, 1);
    assert.ok(SwitchyardError.is(stale[0]!.error, 'UNAVAILABLE'));

    await hub.start();
    hub.register(registration('orders-2'));
    await until(() => (seen.at(-1)?.length === 2 ? true : undefined));
    assert.deepEqual(ids(await r.resolve('orders')), ['orders-1', 'orders-2']);
    assert.equal(fresh.length, 1);
  });

  it('follows a hub that restarted without state (its index went backwards)', async () => {
    for (let i = 0; i < 5; i++) hub.register(registration(`old-${i}`));
    const r = resolver();
    assert.equal((await r.resolve('orders')).length, 5);
    await hub.stop();
    hub.forget();
    await hub.start();
    hub.register(registration('new-1'));
    const got = await until(async () => {
      const now = await r.resolve('orders');
      return now.length === 1 ? now : undefined;
    });
    assert.deepEqual(ids(got), ['new-1']);
  });

  it('fails with UNAVAILABLE (not sent) for a service it never saw while the hub is down', async () => {
    await hub.stop();
    try {
      const r = resolver();
      const error = await r.resolve('orders').then(
        () => assert.fail('expected UNAVAILABLE'),
        (e: unknown) => e,
      );
      assert.ok(SwitchyardError.is(error, 'UNAVAILABLE'));
      assert.equal(error.details.notSent, true);
      assert.equal(error.details.service, 'orders');
    } finally {
      await hub.start();
    }
  });

  it('gets a first answer once the hub comes up, without waiting out a long backoff', async () => {
    await hub.stop();
    const r = resolver({ backoff: { initialMs: 10_000, maxMs: 10_000 } });
    await r.resolve('orders').catch(() => {});
    await hub.start();
    hub.register(registration('orders-1'));
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.deepEqual(ids(await r.resolve('orders')), ['orders-1']);
  });

  it('without a watch, serves the cached set and re-reads it after refreshMs', async () => {
    hub.register(registration('orders-1'));
    const r = resolver({ watch: false, refreshMs: 50 });
    const stale: StaleEvent[] = [];
    r.onStale((e) => stale.push(e));
    assert.deepEqual(ids(await r.resolve('orders')), ['orders-1']);
    hub.register(registration('orders-2'));
    assert.deepEqual(ids(await r.resolve('orders')), ['orders-1'], 'fresh for refreshMs');
    const got = await until(async () => {
      const now = await r.resolve('orders');
      return now.length === 2 ? now : undefined;
    });
    assert.deepEqual(ids(got), ['orders-1', 'orders-2']);
    assert.ok(!hub.requests.some((q) => q.includes('index=')), 'no blocking queries');

    await hub.stop();
    try {
      await until(async () => (await r.resolve('orders'), stale.length > 0 ? true : undefined));
      assert.deepEqual(ids(await r.resolve('orders')), ['orders-1', 'orders-2']);
    } finally {
      await hub.start();
    }
  });

  it('closes cleanly: no watch, timer or socket left, and resolve fails afterwards', async () => {
    hub.register(registration('orders-1'));
    const r = resolver();
    await r.resolve('orders');
    await r.resolve('orders', { major: 1 });
    await r.close();
    await r.close();
    const error = await r.resolve('orders').then(
      () => assert.fail('expected UNAVAILABLE'),
      (e: unknown) => e,
    );
    assert.ok(SwitchyardError.is(error, 'UNAVAILABLE'));
    // Were a blocking query still open, the hub's stop() would cut it and this would not matter;
    // what proves cleanliness is that the test process exits: node:test waits for open handles.
  });

  it('delivers the current set to a late watcher', async () => {
    hub.register(registration('orders-1'));
    const r = resolver();
    await r.resolve('orders');
    const got = await new Promise<readonly Instance[]>((resolve) => r.watch('orders', resolve));
    assert.deepEqual(ids(got), ['orders-1']);
  });
});
