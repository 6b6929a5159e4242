import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { flagPaths } from '../../discovery/hub-api.js';
import { call } from '../../../test/hub/support.js';
import { startHub, type Hub } from '../hub.js';

const canary = { variants: { v1: 'v1', v2: 'v2' }, defaultVariant: 'v1', rollout: { v2: 10 } };

describe('hub flags API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-hub-flags-'));
  let hub: Hub;
  const url = (path: string) => hub.url + path;
  before(async () => {
    hub = await startHub({ port: 0, dnsPort: 0, dataDir: dir, token: 's3cret' });
  });
  after(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const auth = { authorization: 'Bearer s3cret' };

  it('replaces, updates and deletes flags, each write raising the index', async () => {
    const empty = await call(url(flagPaths.flags), 'GET');
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body.flags, {});
    const put = await call(
      url(flagPaths.flags),
      'PUT',
      { flags: { 'new-checkout': { defaultVariant: 'on' } } },
      auth,
    );
    assert.equal(put.status, 200);
    assert.equal(put.body.index, empty.body.index + 1);
    assert.equal(put.headers.etag, `"${put.body.index}"`);
    const one = await call(url(flagPaths.flag('orders-canary')), 'PUT', canary, auth);
    assert.deepEqual(Object.keys(one.body.flags).sort(), ['new-checkout', 'orders-canary']);
    const gone = await call(url(flagPaths.flag('new-checkout')), 'DELETE', undefined, auth);
    assert.deepEqual(Object.keys(gone.body.flags), ['orders-canary']);
    assert.equal(gone.body.index, put.body.index + 2);
  });

  it('refuses invalid flags with violations, writes without the token, and stale if-match', async () => {
    const bad = await call(
      url(flagPaths.flag('x')),
      'PUT',
      { defaultVariant: 'maybe', rollout: { on: 120 } },
      auth,
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.headers['content-type'], 'application/problem+json');
    assert.deepEqual(bad.body.details.violations.map((v: { path: string }) => v.path).sort(), [
      '/defaultVariant',
      '/rollout/on',
    ]);
    assert.equal((await call(url(flagPaths.flags), 'PUT', { flags: [] }, auth)).status, 400);
    assert.equal((await call(url(flagPaths.flags), 'PUT', '{oops', auth)).status, 400);
    assert.equal((await call(url(flagPaths.flag('bad key!')), 'PUT', canary, auth)).status, 400);
    assert.equal((await call(url(flagPaths.flag('x')), 'PUT', canary)).status, 401);
    assert.equal(
      (await call(url(flagPaths.flag('x')), 'PUT', canary, { authorization: 'Bearer no' })).status,
      401,
    );

    const { index } = (await call(url(flagPaths.flags), 'GET')).body;
    const stale = await call(url(flagPaths.flag('x')), 'PUT', canary, {
      ...auth,
      'if-match': `"${index - 1}"`,
    });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.code, 'FAILED_PRECONDITION');
    assert.equal(
      (await call(url(flagPaths.flag('x')), 'PUT', canary, { ...auth, 'if-match': 'soon' })).status,
      400,
    );
    const fresh = await call(url(flagPaths.flag('x')), 'PUT', canary, { ...auth, 'if-match': `"${index}"` });
    assert.equal(fresh.status, 200);
    assert.equal((await call(url(`${flagPaths.flags}?index=abc`), 'GET')).status, 400);
  });

  it('answers a blocking query when the flags change', async () => {
    const { index } = (await call(url(flagPaths.flags), 'GET')).body;
    const started = Date.now();
    const waiting = call(url(`${flagPaths.flags}?index=${index}&wait=10s`), 'GET');
    await sleep(100);
    await call(url(flagPaths.flag('late')), 'PUT', { defaultVariant: 'on' }, auth);
    const changed = await waiting;
    assert.ok(Date.now() - started < 2000);
    assert.equal(changed.body.index, index + 1);
    assert.ok('late' in changed.body.flags);
    const quiet = await call(url(`${flagPaths.flags}?index=${changed.body.index}&wait=200ms`), 'GET');
    assert.equal(quiet.body.index, changed.body.index);
  });

  it('keeps the flags across a restart, and refuses to start on a corrupt file', async () => {
    const before = (await call(url(flagPaths.flags), 'GET')).body;
    const other = mkdtempSync(join(tmpdir(), 'switchyard-hub-flags-'));
    try {
      await hub.close();
      hub = await startHub({ port: 0, dnsPort: 0, dataDir: dir, token: 's3cret' });
      assert.deepEqual((await call(url(flagPaths.flags), 'GET')).body, before);
      writeFileSync(join(other, 'flags.json'), '{"index": 3, "flags": {"x": {"defaultVariant": "nope"}}}');
      await assert.rejects(startHub({ port: 0, dnsPort: 0, dataDir: other }), /flags\.json are unreadable/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
