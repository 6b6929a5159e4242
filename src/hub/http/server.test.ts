import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { registryPaths } from '../../discovery/hub-api.js';
import { call, openSse, waitFor } from '../../../test/hub/support.js';
import { startHub, type Hub } from '../hub.js';

const reg = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  service: 'orders',
  version: '1.4.0',
  endpoints: { http: '127.0.0.1:8080' },
  ...extra,
});

describe('hub HTTP API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-hub-'));
  let hub: Hub;
  const url = (path: string) => hub.url + path;
  before(async () => {
    hub = await startHub({ port: 0, dnsPort: 0, dataDir: dir, evictAfter: 2 });
  });
  after(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects malformed registrations with a 400 problem naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [reg('a', { service: undefined }), '/service'],
      [reg('a', { endpoints: { http: 'nohost' } }), '/endpoints/http'],
      [reg('a', { ttlSeconds: -1 }), '/ttlSeconds'],
      [reg('a', { check: { type: 'http', url: 'gopher://x' } }), '/check/url'],
      ['{not json', '/'],
    ];
    for (const [body, path] of cases) {
      const res = await call(url(registryPaths.instance('a')), 'PUT', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.headers['content-type'], 'application/problem+json');
      assert.equal(res.body.code, 'INVALID_ARGUMENT');
      assert.ok(res.body.detail.includes(path), `${res.body.detail} names ${path}`);
      assert.ok(res.body.details.violations.some((v: { path: string }) => v.path === path));
    }
    const text = await call(url(registryPaths.instance('a')), 'PUT', 'x', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    const big = await call(
      url(registryPaths.instance('a')),
      'PUT',
      JSON.stringify({ pad: 'x'.repeat(70_000) }),
    );
    assert.equal(big.status, 413);
    assert.equal((await call(url('/v1/registry/services/orders?wait=soon&index=1'), 'GET')).status, 400);
    assert.equal((await call(url('/v1/registry/services/orders?index=-1'), 'GET')).status, 400);
    assert.equal((await call(url('/v1/nothing'), 'GET')).status, 404);
    assert.equal((await call(url(registryPaths.services), 'POST')).status, 404);
  });

  it('registers, heartbeats and deregisters', async () => {
    const put = await call(url(registryPaths.instance('reg-1')), 'PUT', reg('reg-1', { service: 'reg' }));
    assert.equal(put.status, 200);
    assert.deepEqual(put.body, {
      id: 'reg-1',
      service: 'reg',
      version: '1.4.0',
      endpoints: { http: '127.0.0.1:8080' },
      labels: {},
      health: 'passing',
    });
    assert.equal((await call(url(registryPaths.heartbeat('reg-1')), 'PUT')).status, 200);
    const missing = await call(url(registryPaths.heartbeat('reg-404')), 'PUT');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'NOT_FOUND');
    const set = await call(url(registryPaths.service('reg')), 'GET');
    assert.deepEqual(
      set.body.instances.map((i: { id: string }) => i.id),
      ['reg-1'],
    );
    assert.equal(set.headers['x-switchyard-index'], String(set.body.index));
    assert.ok((await call(url(registryPaths.services), 'GET')).body.services.includes('reg'));
    assert.equal((await call(url(`${registryPaths.instances}?service=reg`), 'GET')).body.instances.length, 1);
    assert.equal((await call(url(registryPaths.instance('reg-1')), 'DELETE')).status, 204);
    assert.equal((await call(url(registryPaths.instance('reg-1')), 'DELETE')).status, 204, 'idempotent');
    assert.deepEqual((await call(url(registryPaths.service('reg')), 'GET')).body.instances, []);
  });

  it('evicts an instance that misses its heartbeats, and keeps one that sends them', async () => {
    await call(url(registryPaths.instance('ev-1')), 'PUT', reg('ev-1', { service: 'ev', ttlSeconds: 1 }));
    await call(url(registryPaths.instance('ev-2')), 'PUT', reg('ev-2', { service: 'ev', ttlSeconds: 1 }));
    const beat = setInterval(() => void call(url(registryPaths.heartbeat('ev-2')), 'PUT'), 300);
    try {
      const started = Date.now();
      const ids = async () =>
        (await call(url(registryPaths.service('ev')), 'GET')).body.instances.map((i: { id: string }) => i.id);
      await waitFor(async () => (await ids()).length === 1, 5000, 'eviction');
      assert.ok(Date.now() - started >= 1500);
      assert.deepEqual(await ids(), ['ev-2']);
      assert.equal((await call(url(registryPaths.heartbeat('ev-1')), 'PUT')).status, 404);
    } finally {
      clearInterval(beat);
    }
  });

  it('answers a blocking query on change and when the wait passes', async () => {
    const first = await call(url(registryPaths.service('blk')), 'GET');
    const started = Date.now();
    const waiting = call(url(`${registryPaths.service('blk')}?index=${first.body.index}&wait=10s`), 'GET');
    await sleep(100);
    await call(url(registryPaths.instance('blk-1')), 'PUT', reg('blk-1', { service: 'blk' }));
    const changed = await waiting;
    assert.ok(Date.now() - started < 1000);
    assert.ok(changed.body.index > first.body.index);
    assert.deepEqual(
      changed.body.instances.map((i: { id: string }) => i.id),
      ['blk-1'],
    );

    const quiet = Date.now();
    const timedOut = await call(
      url(`${registryPaths.service('blk')}?index=${changed.body.index}&wait=300ms`),
      'GET',
    );
    assert.ok(Date.now() - quiet >= 290);
    assert.equal(timedOut.status, 200);
    assert.equal(timedOut.body.index, changed.body.index);

    await call(
      url(registryPaths.instance('blk-2')),
      'PUT',
      reg('blk-2', { service: 'blk', version: '2.0.0' }),
    );
    const v2 = await call(url(`${registryPaths.service('blk')}?major=2`), 'GET');
    assert.deepEqual(
      v2.body.instances.map((i: { id: string }) => i.id),
      ['blk-2'],
    );
  });

  it('exposes its own health and Prometheus metrics', async () => {
    await call(url(registryPaths.instance('m-1')), 'PUT', reg('m-1', { service: 'metrics' }));
    assert.deepEqual((await call(url('/health'), 'GET')).body, { status: 'passing', backend: 'sqlite' });
    const text = await (await fetch(url('/metrics'))).text();
    assert.match(text, /^switchyard_registry_instances\{service="metrics",health="passing"\} 1$/m);
    assert.match(text, /^switchyard_registry_index \d+$/m);
    assert.match(text, /^switchyard_hub_event_streams 0$/m);
  });

  it('pushes changes over server-sent events with the index as the event id', async () => {
    const stream = await openSse(url(registryPaths.events('sse')));
    try {
      const initial = await stream.until(() => true);
      assert.deepEqual(initial.instances, []);
      await call(url(registryPaths.instance('sse-1')), 'PUT', reg('sse-1', { service: 'sse' }));
      const added = await stream.until((s) => s.instances.length === 1, 1000);
      assert.ok(added.index > initial.index);
      await call(url(registryPaths.instance('sse-1')), 'DELETE');
      await stream.until((s) => s.index > added.index && s.instances.length === 0, 1000);
    } finally {
      stream.close();
    }
  });
});

describe('hub HTTP API with a token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-hub-'));
  let hub: Hub;
  before(async () => {
    hub = await startHub({ port: 0, dnsPort: 0, dataDir: dir, token: 's3cret' });
  });
  after(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('requires the token on writes, not on reads', async () => {
    const path = hub.url + registryPaths.instance('t-1');
    const none = await call(path, 'PUT', reg('t-1'));
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 'UNAUTHENTICATED');
    assert.match(String(none.headers['www-authenticate']), /^Bearer/);
    assert.equal((await call(path, 'PUT', reg('t-1'), { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await call(path, 'DELETE', undefined, { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await call(hub.url + registryPaths.heartbeat('t-1'), 'PUT')).status, 401);
    assert.equal((await call(path, 'PUT', reg('t-1'), { authorization: 'Bearer s3cret' })).status, 200);
    assert.equal((await call(hub.url + registryPaths.service('orders'), 'GET')).status, 200);
    assert.equal((await call(path, 'DELETE', undefined, { authorization: 'bearer s3cret' })).status, 204);
  });

  it('refuses to listen off loopback without a token', async () => {
    await assert.rejects(startHub({ host: '0.0.0.0', port: 0, dnsPort: 0, dataDir: dir }), /without a token/);
  });
});
