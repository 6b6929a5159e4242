import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hubResolver } from '../../src/discovery/resolvers/hub.js';
import { discoveryPicker } from '../../src/rpc/balancer/picker.js';
import type { Call } from '../../src/runtime/index.js';
import { startFakeHub, type FakeHub } from './fake-hub.js';
import { registration, until } from './support.js';

describe('discovery picker over the hub resolver', () => {
  let hub: FakeHub;
  before(async () => {
    hub = await startFakeHub();
  });
  after(() => hub.stop());

  it('stops picking a deregistered instance and starts picking a new one, and keeps picking with the hub down', async () => {
    hub.register(registration('orders-1', { endpoints: { http: '127.0.0.1:9001' } }));
    hub.register(registration('orders-2', { endpoints: { http: '127.0.0.1:9002' } }));
    const resolver = hubResolver({ url: hub.url, backoff: { initialMs: 20, maxMs: 100 } });
    try {
      const picker = discoveryPicker({ resolver, service: 'orders', protocol: 'http' });
      const addresses = async (n: number) => {
        const seen = new Set<string>();
        for (let i = 0; i < n; i++) {
          const endpoint = await picker.pick({} as Call);
          picker.done!(endpoint, { ok: true, latencyMs: 1 });
          seen.add(endpoint.address);
        }
        return [...seen].sort();
      };
      assert.deepEqual(await addresses(50), ['127.0.0.1:9001', '127.0.0.1:9002']);

      hub.deregister('orders-1');
      hub.register(registration('orders-3', { endpoints: { http: '127.0.0.1:9003' } }));
      const moved = await until(async () => {
        const now = await addresses(50);
        return now.join() === '127.0.0.1:9002,127.0.0.1:9003' ? now : undefined;
      }, 1000);
      assert.ok(moved);

      await hub.stop();
      assert.deepEqual(await addresses(50), ['127.0.0.1:9002', '127.0.0.1:9003'], 'last known instances');
      await hub.start();
    } finally {
      await resolver.close();
    }
  });
});
