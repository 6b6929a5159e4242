import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { registryPaths } from '../../src/discovery/hub-api.js';
import { call, openSse, startHubProcess, type HubProcess } from './support.js';

describe('two hubs on one etcd', () => {
  // A prefix of our own on the shared etcd, deleted afterwards.
  const prefix = `switchyard-test/${randomUUID().slice(0, 8)}/`;
  const hubs: HubProcess[] = [];
  after(async () => {
    await Promise.all(hubs.map((h) => h.stop('SIGTERM')));
    const { Etcd3 } = await import('etcd3');
    const client = new Etcd3({ hosts: 'http://127.0.0.1:2379' });
    await client.delete().prefix(prefix).exec();
    client.close();
  });

  it('share registrations, heartbeats, health and removals', async () => {
    const args = [
      '--backend',
      'etcd',
      '--etcd-prefix',
      prefix,
      '--port',
      '0',
      '--dns-port',
      '0',
      '--evict-after',
      '2',
    ];
    const [a, b] = await Promise.all([startHubProcess(args), startHubProcess(args)]);
    hubs.push(a!, b!);
    const streamB = await openSse(b!.url + registryPaths.events('orders'));
    const streamA = await openSse(a!.url + registryPaths.events('orders'));
    try {
      await streamB.until(() => true);
      const body = {
        service: 'orders',
        version: '1.0.0',
        endpoints: { http: '127.0.0.1:8080' },
        ttlSeconds: 1,
      };
      assert.equal((await call(a!.url + registryPaths.instance('orders-1'), 'PUT', body)).status, 200);
      await streamB.until((s) => s.instances.some((i) => i.id === 'orders-1'), 1000);
      const fromB = (await call(b!.url + registryPaths.service('orders'), 'GET')).body;
      assert.deepEqual(
        fromB.instances.map((i: { id: string }) => i.id),
        ['orders-1'],
      );

      // Heartbeats through B keep alive what A registered, well past its 2 s lease.
      for (let i = 0; i < 8; i++) {
        assert.equal((await call(b!.url + registryPaths.heartbeat('orders-1'), 'PUT')).status, 200);
        await sleep(400);
      }
      assert.equal((await call(a!.url + registryPaths.service('orders'), 'GET')).body.instances.length, 1);

      assert.equal((await call(b!.url + registryPaths.instance('orders-1'), 'DELETE')).status, 204);
      await streamA.until((s) => s.instances.length === 0 && s.index > fromB.index, 1000);

      // And an instance nobody heartbeats is evicted for both by its lease.
      await call(b!.url + registryPaths.instance('orders-2'), 'PUT', body);
      const added = await streamA.until((s) => s.instances.some((i) => i.id === 'orders-2'), 1000);
      await streamA.until((s) => s.instances.length === 0 && s.index > added.index, 5000);
      await streamB.until((s) => s.instances.length === 0 && s.index > added.index, 1000);
    } finally {
      streamA.close();
      streamB.close();
    }
  });
});
