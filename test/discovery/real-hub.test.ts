import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dnsResolver } from '../../src/discovery/resolvers/dns.js';
import { hubResolver } from '../../src/discovery/resolvers/hub.js';
import type { FreshEvent, StaleEvent } from '../../src/discovery/resolvers/common.js';
import { registrar } from '../../src/discovery/registrar.js';
import { measureFanout } from './fanout.js';
import { startHubProcess, type HubProcess } from './hub-process.js';
import { ids, until } from './support.js';

describe('against `switchyard hub` (child process)', { timeout: 60_000 }, () => {
  let hub: HubProcess;
  before(async () => {
    hub = await startHubProcess(['--no-checks']);
  });
  after(() => hub?.dispose());

  it('a change to a 200-instance service reaches 20 watching resolvers within 1 s', async (t) => {
    const latencies = await measureFanout({
      url: hub.url,
      service: 'fanout',
      instances: 200,
      watchers: 20,
      changes: 5,
    });
    t.diagnostic(`change → all 20 watchers (ms): ${latencies.join(', ')}`);
    assert.ok(Math.max(...latencies) < 1000, `slowest change took ${Math.max(...latencies)} ms`);
  });

  it('a registered service is seen by the hub resolver and by DNS, and leaves on deregister', async () => {
    const service = registrar({
      url: hub.url,
      registration: { id: 'kitchen-1', service: 'kitchen', version: '2.1.0', zone: 'z1', ttlSeconds: 3 },
    });
    const resolver = hubResolver({ url: hub.url });
    const dns = dnsResolver({ server: hub.dns, cacheMs: 0 });
    try {
      await service.register({ http: '127.0.0.1:18081', grpc: '127.0.0.1:18082' });
      const [seen] = await resolver.resolve('kitchen', { major: 2 });
      assert.equal(seen?.id, 'kitchen-1');
      assert.deepEqual(seen?.endpoints, { http: '127.0.0.1:18081', grpc: '127.0.0.1:18082' });
      assert.equal(seen?.zone, 'z1');
      assert.deepEqual(await resolver.resolve('kitchen', { major: 1 }), []);

      const viaDns = await dns.resolve('kitchen');
      assert.ok(viaDns.length >= 1, 'SRV answer from the hub DNS');
      assert.ok(viaDns.every((i) => i.endpoints.http?.startsWith('127.0.0.1:')));

      await service.deregister();
      await until(async () => ((await resolver.resolve('kitchen')).length === 0 ? true : undefined), 1000);
    } finally {
      await service.deregister();
      await resolver.close();
      await dns.close();
    }
  });

  it('serves last known instances while the hub is stopped, and resumes the watch after a restart', async () => {
    const a = registrar({
      url: hub.url,
      registration: { id: 'menus-1', service: 'menus', version: '1.0.0' },
    });
    const resolver = hubResolver({ url: hub.url, backoff: { initialMs: 50, maxMs: 300 } });
    const stale: StaleEvent[] = [];
    const fresh: FreshEvent[] = [];
    resolver.onStale((e) => stale.push(e));
    resolver.onFresh((e) => fresh.push(e));
    const b = registrar({
      url: hub.url,
      registration: { id: 'menus-2', service: 'menus', version: '1.0.0' },
    });
    try {
      await a.register({ http: '127.0.0.1:18090' });
      assert.deepEqual(ids(await resolver.resolve('menus')), ['menus-1']);
      await hub.stop();
      await until(() => (stale.length > 0 ? true : undefined), 5000);
      assert.deepEqual(ids(await resolver.resolve('menus')), ['menus-1'], 'last known instances');

      await hub.start();
      await b.register({ http: '127.0.0.1:18091' });
      const both = await until(async () => {
        const now = await resolver.resolve('menus');
        return now.length === 2 ? now : undefined;
      }, 5000);
      assert.deepEqual(ids(both), ['menus-1', 'menus-2']);
      assert.equal(stale.length, 1);
      assert.equal(fresh.length, 1);
    } finally {
      await a.deregister();
      await b.deregister();
      await resolver.close();
    }
  });
});
