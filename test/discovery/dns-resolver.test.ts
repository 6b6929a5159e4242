import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SwitchyardError } from '../../src/errors/index.js';
import { dnsResolver, type DnsResolverOptions } from '../../src/discovery/resolvers/dns.js';
import type { StaleEvent } from '../../src/discovery/resolvers/common.js';
import { startDnsServer, type TestDnsServer } from './dns-server.js';
import { until } from './support.js';

const addresses = (
  list: readonly { endpoints: { http?: string; grpc?: string } }[],
  key: 'http' | 'grpc' = 'http',
) => list.map((i) => i.endpoints[key]).sort();

describe('DNS resolver', () => {
  let dns: TestDnsServer;
  const open: { close(): Promise<void> }[] = [];
  const resolver = (options: DnsResolverOptions = {}) => {
    const r = dnsResolver({ server: dns.server, timeoutMs: 100, tries: 1, ...options });
    open.push(r);
    return r;
  };

  before(async () => {
    dns = await startDnsServer();
  });
  after(async () => {
    await Promise.all(open.map((r) => r.close()));
    await dns.close();
  });

  it('reads SRV records under <service>.service.<domain> and resolves their targets', async () => {
    dns.setRecords([
      { type: 'SRV', name: 'orders.service.switchyard', target: 'node-a.node.switchyard', port: 8081 },
      { type: 'SRV', name: 'orders.service.switchyard', target: 'node-b.node.switchyard', port: 8082 },
      { type: 'A', name: 'node-a.node.switchyard', address: '10.0.0.1' },
      { type: 'A', name: 'node-b.node.switchyard', address: '10.0.0.2' },
      { type: 'AAAA', name: 'node-b.node.switchyard', address: '::2' },
    ]);
    const r = resolver();
    const instances = await r.resolve('orders');
    assert.deepEqual(addresses(instances), ['10.0.0.1:8081', '10.0.0.2:8082', '[::2]:8082']);
    const first = instances.find((i) => i.id === '10.0.0.1:8081')!;
    assert.equal(first.service, 'orders');
    assert.equal(first.health, 'passing');
    assert.equal(first.labels['dns.target'], 'node-a.node.switchyard');
  });

  it('takes SRV targets that are addresses as they are, and keeps only the lowest priority', async () => {
    dns.setRecords([
      { type: 'SRV', name: 'pay.service.switchyard', target: '127.0.0.1', port: 9001, priority: 1 },
      { type: 'SRV', name: 'pay.service.switchyard', target: '127.0.0.2', port: 9002, priority: 1 },
      { type: 'SRV', name: 'pay.service.switchyard', target: '127.0.0.3', port: 9003, priority: 5 },
    ]);
    const r = resolver({ protocol: 'grpc' });
    assert.deepEqual(addresses(await r.resolve('pay'), 'grpc'), ['127.0.0.1:9001', '127.0.0.2:9002']);
    assert.ok(!dns.questions.some((q) => q.includes('127.0.0.1')), 'no lookup of an address');
  });

  it('uses a full name given per service (a Kubernetes headless service)', async () => {
    const srv = '_http._tcp.orders.default.svc.cluster.local';
    dns.setRecords([
      { type: 'SRV', name: srv, target: '10-1-0-7.orders.default.svc.cluster.local', port: 8080 },
      { type: 'A', name: '10-1-0-7.orders.default.svc.cluster.local', address: '10.1.0.7' },
    ]);
    const r = resolver({ names: { orders: srv } });
    assert.deepEqual(addresses(await r.resolve('orders')), ['10.1.0.7:8080']);
  });

  it('falls back to A records and the configured port when there is no SRV', async () => {
    dns.setRecords([
      { type: 'A', name: 'orders.default.svc.cluster.local', address: '10.1.0.7' },
      { type: 'A', name: 'orders.default.svc.cluster.local', address: '10.1.0.8' },
    ]);
    const r = resolver({ names: { orders: '_http._tcp.orders.default.svc.cluster.local' }, port: 8080 });
    assert.deepEqual(addresses(await r.resolve('orders')), ['10.1.0.7:8080', '10.1.0.8:8080']);
    const withoutPort = resolver({ names: { orders: 'orders.default.svc.cluster.local' } });
    await assert.rejects(withoutPort.resolve('orders'), (e: unknown) => SwitchyardError.is(e, 'UNAVAILABLE'));
  });

  it('answers an unknown name with no instances', async () => {
    dns.setRecords([]);
    assert.deepEqual(await resolver().resolve('nobody'), []);
  });

  it('caches for cacheMs, then sees changes', async () => {
    dns.setRecords([{ type: 'SRV', name: 'kitchen.service.switchyard', target: '10.0.0.1', port: 1 }]);
    const r = resolver({ cacheMs: 50 });
    const first = await r.resolve('kitchen');
    const asked = dns.questions.length;
    assert.equal(await r.resolve('kitchen'), first);
    assert.equal(dns.questions.length, asked, 'answered from the cache');
    dns.setRecords([
      { type: 'SRV', name: 'kitchen.service.switchyard', target: '10.0.0.1', port: 1 },
      { type: 'SRV', name: 'kitchen.service.switchyard', target: '10.0.0.2', port: 1 },
    ]);
    const changed = await until(async () => {
      const now = await r.resolve('kitchen');
      return now.length === 2 ? now : undefined;
    });
    assert.deepEqual(addresses(changed), ['10.0.0.1:1', '10.0.0.2:1']);
  });

  it('serves the last answer while DNS does not answer, and fails only without one', async () => {
    dns.setRecords([{ type: 'SRV', name: 'menus.service.switchyard', target: '10.0.0.9', port: 7 }]);
    const r = resolver({ cacheMs: 20 });
    const stale: StaleEvent[] = [];
    r.onStale((e) => stale.push(e));
    assert.equal((await r.resolve('menus')).length, 1);
    dns.pause();
    try {
      await until(async () => (await r.resolve('menus'), stale.length > 0 ? true : undefined));
      assert.equal((await r.resolve('menus')).length, 1);
      assert.equal(stale[0]!.service, 'menus');
      const error = await resolver()
        .resolve('menus')
        .then(
          () => assert.fail('expected UNAVAILABLE'),
          (e: unknown) => e,
        );
      assert.ok(SwitchyardError.is(error, 'UNAVAILABLE'));
      assert.equal(error.details.notSent, true);
    } finally {
      dns.resume();
    }
  });
});
