import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchyardError } from '../../errors/index.js';
import type { HealthState, InstanceSet } from '../types.js';
import { createRegistry, type Registry } from './registry.js';
import { createSqliteBackend } from './sqlite.js';

const body = (id: string, version = '1.0.0') => ({
  id,
  service: 'orders',
  version,
  endpoints: { http: '127.0.0.1:8080' },
});

describe('registry', () => {
  let registry: Registry;
  let verdict: HealthState;
  beforeEach(async () => {
    verdict = 'passing';
    registry = await createRegistry({
      backend: createSqliteBackend({ path: ':memory:' }),
      checks: { probe: async () => verdict },
    });
  });
  afterEach(() => registry.close());

  it('rejects a malformed registration naming the field', async () => {
    await assert.rejects(
      registry.register({ ...body('a'), endpoints: { http: 'nope' } }),
      (e) => SwitchyardError.is(e, 'INVALID_ARGUMENT') && e.message.includes('/endpoints/http'),
    );
    assert.deepEqual(await registry.services(), []);
  });

  it('serves passing instances only, lists every state, and filters by major version', async () => {
    await registry.register(body('a'));
    await registry.register(body('b', '2.1.0'));
    verdict = 'warning';
    const warned = await registry.register({ ...body('c'), check: { type: 'tcp', address: '127.0.0.1:1' } });
    assert.equal(warned.health, 'warning', 'the first check runs before the instance is stored');
    const served = await registry.service('orders');
    assert.deepEqual(
      served.instances.map((i) => i.id),
      ['a', 'b'],
    );
    assert.deepEqual(
      (await registry.service('orders', { major: 2 })).instances.map((i) => i.id),
      ['b'],
    );
    assert.deepEqual(
      (await registry.instances('orders')).map((i) => i.health),
      ['passing', 'passing', 'warning'],
    );
    assert.deepEqual(await registry.services(), ['orders']);
    assert.equal(await registry.deregister('a'), true);
    assert.deepEqual(
      (await registry.service('orders')).instances.map((i) => i.id),
      ['b'],
    );
  });

  it('answers a blocking query when the service changes', async () => {
    const { index } = await registry.service('orders');
    const waiting = registry.waitForChange('orders', { index, waitMs: 5000 });
    await sleep(50);
    const started = Date.now();
    await registry.register(body('a'));
    const set = await waiting;
    assert.ok(Date.now() - started < 500);
    assert.ok(set.index > index);
    assert.deepEqual(
      set.instances.map((i) => i.id),
      ['a'],
    );
  });

  it('answers a blocking query with the same set when the wait passes, and at once for an old index', async () => {
    await registry.register(body('a'));
    const { index } = await registry.service('orders');
    const started = Date.now();
    const same = await registry.waitForChange('orders', { index, waitMs: 200 });
    assert.ok(Date.now() - started >= 190);
    assert.equal(same.index, index);
    const immediate = await registry.waitForChange('orders', { index: index - 1, waitMs: 5000 });
    assert.equal(immediate.index, index);
  });

  it('is not woken by changes of other services, and stops when aborted', async () => {
    const { index } = await registry.service('orders');
    const abort = new AbortController();
    const waiting = registry.waitForChange('orders', { index, waitMs: 5000, signal: abort.signal });
    await registry.register({ ...body('p'), service: 'payments' });
    setTimeout(() => abort.abort(new Error('gone')), 100);
    await assert.rejects(waiting, /gone/);
  });

  it('answers waiting blocking queries when it closes', async () => {
    const { index } = await registry.service('orders');
    const waiting = registry.waitForChange('orders', { index, waitMs: 60_000 });
    await sleep(20);
    await registry.close();
    await assert.rejects(waiting, (e) => SwitchyardError.is(e, 'UNAVAILABLE'));
  });

  it('pushes the served set to watchers now and after changes, once per burst', async () => {
    const seen: InstanceSet[] = [];
    const stop = registry.watch('orders', (set) => seen.push(set));
    await sleep(20);
    await Promise.all([
      registry.register(body('a')),
      registry.register(body('b')),
      registry.register(body('c')),
    ]);
    await sleep(50);
    stop();
    await registry.register(body('d'));
    await sleep(20);
    assert.deepEqual(seen[0]!.instances, []);
    assert.deepEqual(
      seen.at(-1)!.instances.map((i) => i.id),
      ['a', 'b', 'c'],
    );
    assert.ok(seen.length <= 3, `${seen.length} pushes for one burst`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.index > seen[i - 1]!.index);
  });
});
