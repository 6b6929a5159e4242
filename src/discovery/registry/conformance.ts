import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Registration } from '../types.js';
import type { BackendCapabilities, RegistryBackend, RegistryChange } from './types.js';

/**
 * The one suite every registry backend passes, against its real engine. `open` with the same
 * `storage` key must reach the same storage (a file, an etcd prefix); each test uses its own key.
 */
export interface ConformanceTarget {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  open(options: { storage: string; evictAfter: number }): Promise<RegistryBackend>;
  /** Deletes what one storage key left behind (after its backends are closed). */
  cleanup?(storage: string): Promise<void>;
}

export function registryBackendConformance(target: ConformanceTarget): void {
  const opened: RegistryBackend[] = [];
  const storages = new Set<string>();
  const open = async (storage: string, evictAfter = 3) => {
    storages.add(storage);
    const backend = await target.open({ storage, evictAfter });
    opened.push(backend);
    return backend;
  };
  const fresh = () => open(randomUUID().slice(0, 8));

  describe(`registry backend conformance: ${target.name}`, () => {
    after(async () => {
      await Promise.all(opened.map((b) => b.close()));
      for (const storage of storages) await target.cleanup?.(storage);
    });

    it('registers an instance as passing and lists it with an index', async () => {
      const backend = await fresh();
      const before = await backend.list('orders');
      const instance = await backend.upsert(reg('orders-1'));
      assert.deepEqual(instance, {
        id: 'orders-1',
        service: 'orders',
        version: '1.2.0',
        endpoints: { http: '127.0.0.1:8001' },
        labels: {},
        zone: 'a',
        health: 'passing',
      });
      const snapshot = await backend.list('orders');
      assert.deepEqual(
        snapshot.entries.map((e) => e.instance),
        [instance],
      );
      assert.equal(snapshot.entries[0]!.ttlSeconds, 30);
      assert.ok(snapshot.index > before.index, 'the service index moves past the one seen before');
      assert.ok((await backend.list()).entries.some((e) => e.instance.id === 'orders-1'));
      assert.deepEqual((await backend.list('nobody')).entries, []);
    });

    it('replaces an instance with the same id, and treats an identical registration as a heartbeat', async () => {
      const backend = await fresh();
      await backend.upsert(reg('orders-1'));
      const changes = record(backend);
      await backend.upsert({ ...reg('orders-1'), version: '1.3.0', labels: { canary: 'true' } });
      await backend.upsert({ ...reg('orders-1'), version: '1.3.0', labels: { canary: 'true' } });
      const { entries } = await backend.list('orders');
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.instance.version, '1.3.0');
      assert.deepEqual(entries[0]!.instance.labels, { canary: 'true' });
      assert.deepEqual(
        changes.map((c) => c.type),
        ['upsert'],
      );
    });

    it('moves an instance that re-registers under another service', async () => {
      const backend = await fresh();
      await backend.upsert(reg('x-1'));
      const changes = record(backend);
      await backend.upsert({ ...reg('x-1'), service: 'billing' });
      assert.deepEqual((await backend.list('orders')).entries, []);
      assert.equal((await backend.list('billing')).entries.length, 1);
      assert.deepEqual(changes.map((c) => `${c.type}:${service(c)}`).sort(), [
        'remove:orders',
        'upsert:billing',
      ]);
    });

    it('removes an instance at once and says whether it was there', async () => {
      const backend = await fresh();
      await backend.upsert(reg('orders-1'));
      const changes = record(backend);
      assert.equal(await backend.remove('orders-1'), true);
      assert.deepEqual((await backend.list('orders')).entries, []);
      assert.equal(await backend.remove('orders-1'), false);
      assert.deepEqual(changes, [
        { type: 'remove', index: changes[0]!.index, service: 'orders', id: 'orders-1' },
      ]);
    });

    it('accepts heartbeats for known instances only, and they are not changes', async () => {
      const backend = await fresh();
      await backend.upsert(reg('orders-1'));
      const changes = record(backend);
      assert.equal(await backend.heartbeat('orders-1'), true);
      assert.equal(await backend.heartbeat('orders-404'), false);
      assert.deepEqual(changes, []);
    });

    it('records health transitions once each', async () => {
      const backend = await fresh();
      await backend.upsert(reg('orders-1'));
      const changes = record(backend);
      assert.equal(await backend.setHealth('orders-1', 'critical'), true);
      assert.equal(await backend.setHealth('orders-1', 'critical'), true);
      assert.equal(await backend.setHealth('orders-404', 'warning'), false);
      assert.equal((await backend.list('orders')).entries[0]!.instance.health, 'critical');
      assert.equal(await backend.setHealth('orders-1', 'warning'), true);
      assert.deepEqual(
        changes.map((c) => (c.type === 'health' ? c.entry.instance.health : c.type)),
        ['critical', 'warning'],
      );
      const after = await backend.upsert(reg('orders-1'), { health: 'critical' });
      assert.equal(after.health, 'critical');
    });

    it('numbers changes in increasing order, and a service index is its last change', async () => {
      const backend = await fresh();
      const changes = record(backend);
      await backend.upsert(reg('orders-1'));
      await backend.upsert({ ...reg('billing-1'), service: 'billing' });
      await backend.setHealth('orders-1', 'warning');
      await backend.remove('orders-1');
      await backend.upsert(reg('orders-2'));
      assert.equal(changes.length, 5);
      for (let i = 1; i < changes.length; i++) assert.ok(changes[i]!.index > changes[i - 1]!.index);
      assert.equal((await backend.list('orders')).index, changes[4]!.index);
      assert.equal((await backend.list('billing')).index, changes[1]!.index);
      assert.ok((await backend.list()).index >= changes[4]!.index);
    });

    it('stops calling a listener once it unsubscribes', async () => {
      const backend = await fresh();
      const seen: RegistryChange[] = [];
      const stop = backend.watch((c) => seen.push(c));
      await backend.upsert(reg('orders-1'));
      stop();
      await backend.upsert(reg('orders-2'));
      await sleep(50);
      assert.equal(seen.length, 1);
    });

    it('evicts an instance after ttl × evictAfter without heartbeats, and keeps one that heartbeats', async () => {
      const backend = await open(randomUUID().slice(0, 8), 2);
      const changes = record(backend);
      const started = Date.now();
      await backend.upsert({ ...reg('silent'), ttlSeconds: 1 });
      await backend.upsert({ ...reg('alive'), ttlSeconds: 1 });
      const beating = setInterval(() => void backend.heartbeat('alive'), 400);
      try {
        await waitFor(async () => (await ids(backend)).length === 1, 6000);
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 1500, `evicted after ${elapsed} ms, before 2 × 1 s`);
        assert.deepEqual(await ids(backend), ['alive']);
        assert.ok(changes.some((c) => c.type === 'remove' && c.id === 'silent'));
        assert.equal(await backend.heartbeat('silent'), false);
      } finally {
        clearInterval(beating);
      }
    });

    it(
      'keeps registrations, health and index order across a restart',
      { skip: !target.capabilities.persistent },
      async () => {
        const storage = randomUUID().slice(0, 8);
        const first = await open(storage);
        await first.upsert(reg('orders-1'));
        await first.setHealth('orders-1', 'warning');
        const { index } = await first.list('orders');
        await first.close();
        const second = await open(storage);
        const { entries } = await second.list('orders');
        assert.deepEqual(
          entries.map((e) => [e.instance.id, e.instance.health]),
          [['orders-1', 'warning']],
        );
        const changes = record(second);
        await second.upsert(reg('orders-2'));
        assert.ok(changes[0]!.index > index, 'indexes keep growing after a restart');
      },
    );

    it(
      'evicts after a restart an instance that went silent while the backend was down',
      { skip: !target.capabilities.persistent },
      async () => {
        const storage = randomUUID().slice(0, 8);
        const first = await open(storage, 2);
        await first.upsert({ ...reg('silent'), ttlSeconds: 1 });
        await first.close();
        await sleep(2200);
        const second = await open(storage, 2);
        await waitFor(async () => (await ids(second)).length === 0, 4000);
      },
    );

    it(
      'shares registrations, changes and heartbeats between backends on one storage',
      { skip: !target.capabilities.shared },
      async () => {
        const storage = randomUUID().slice(0, 8);
        const a = await open(storage, 2);
        const b = await open(storage, 2);
        const seenByB = record(b);
        await a.upsert({ ...reg('orders-1'), ttlSeconds: 1 });
        await waitFor(
          async () => seenByB.some((c) => c.type === 'upsert' && c.entry.instance.id === 'orders-1'),
          2000,
        );
        assert.deepEqual(await ids(b), ['orders-1']);
        // Heartbeats through B keep alive what A registered, well past its 2 s deadline.
        const beating = setInterval(() => void b.heartbeat('orders-1'), 400);
        try {
          await sleep(3000);
          assert.deepEqual(await ids(a), ['orders-1']);
        } finally {
          clearInterval(beating);
        }
        await b.setHealth('orders-1', 'critical');
        await waitFor(async () => (await a.list('orders')).entries[0]?.instance.health === 'critical', 2000);
        const seenByA = record(a);
        assert.equal(await b.remove('orders-1'), true);
        await waitFor(async () => seenByA.some((c) => c.type === 'remove'), 2000);
        assert.deepEqual(await ids(a), []);
      },
    );

    it(
      'splits active checks between backends on one storage',
      { skip: !target.capabilities.shared },
      async () => {
        const storage = randomUUID().slice(0, 8);
        const a = await open(storage);
        const b = await open(storage);
        assert.ok(a.owns && b.owns, 'a shared backend says which instances it checks');
        const ids = Array.from({ length: 50 }, (_, i) => `orders-${i}`);
        const split = () => ids.filter((id) => a.owns!(id) !== b.owns!(id)).length === ids.length;
        await waitFor(async () => split(), 3000);
        const mine = ids.filter((id) => a.owns!(id)).length;
        assert.ok(mine > 5 && mine < 45, `a checks ${mine} of ${ids.length}`);
        await b.close();
        await waitFor(async () => ids.every((id) => a.owns!(id)), 15_000);
      },
    );
  });
}

function reg(id: string): Registration {
  return {
    id,
    service: 'orders',
    version: '1.2.0',
    endpoints: { http: '127.0.0.1:8001' },
    zone: 'a',
    ttlSeconds: 30,
  };
}

function record(backend: RegistryBackend): RegistryChange[] {
  const changes: RegistryChange[] = [];
  backend.watch((c) => changes.push(c));
  return changes;
}

function service(change: RegistryChange): string {
  return change.type === 'remove' ? change.service : change.entry.instance.service;
}

async function ids(backend: RegistryBackend, name = 'orders'): Promise<string[]> {
  return (await backend.list(name)).entries.map((e) => e.instance.id).sort();
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}
