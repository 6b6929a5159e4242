import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { registryPaths } from '../../src/discovery/hub-api.js';
import { call, openSse, startHubProcess, waitFor, type HubProcess } from './support.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const reg = (id: string, ttlSeconds = 30) => ({
  id,
  service: 'orders',
  version: '1.0.0',
  endpoints: { http: '127.0.0.1:8080' },
  ttlSeconds,
});
const ids = async (hub: HubProcess) =>
  (await call(hub.url + registryPaths.service('orders'), 'GET')).body.instances
    .map((i: { id: string }) => i.id)
    .sort();

describe('switchyard hub (process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-hub-proc-'));
  const hubs: HubProcess[] = [];
  const start = async (args: string[], env?: Record<string, string>) => {
    const hub = await startHubProcess(['--port', '0', '--dns-port', '0', ...args], env);
    hubs.push(hub);
    return hub;
  };
  after(async () => {
    await Promise.all(hubs.map((h) => h.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps registrations across a crash, and evicts what went silent meanwhile', async () => {
    const dataDir = join(dir, 'restart');
    const first = await start(['--data-dir', dataDir, '--evict-after', '2']);
    await call(first.url + registryPaths.instance('kept'), 'PUT', reg('kept'));
    await call(first.url + registryPaths.instance('silent'), 'PUT', reg('silent', 1));
    const { index } = (await call(first.url + registryPaths.service('orders'), 'GET')).body;
    assert.notEqual(await first.stop('SIGKILL'), 0);
    await sleep(2200); // past silent's 2 s deadline
    const second = await start(['--data-dir', dataDir, '--evict-after', '2']);
    assert.ok((await ids(second)).includes('kept'));
    await waitFor(async () => (await ids(second)).join() === 'kept', 3000, 'eviction after restart');
    const after = (await call(second.url + registryPaths.service('orders'), 'GET')).body;
    assert.ok(after.index > index, 'the index keeps growing across restarts');
    assert.equal(await second.stop('SIGTERM'), 0);
  });

  it('removes an instance at once when it deregisters', async () => {
    const hub = await start(['--data-dir', join(dir, 'delete')]);
    await call(hub.url + registryPaths.instance('a'), 'PUT', reg('a'));
    const stream = await openSse(hub.url + registryPaths.events('orders'));
    try {
      await stream.until((s) => s.instances.length === 1);
      const started = Date.now();
      assert.equal((await call(hub.url + registryPaths.instance('a'), 'DELETE')).status, 204);
      await stream.until((s) => s.instances.length === 0, 1000);
      assert.ok(Date.now() - started < 1000);
    } finally {
      stream.close();
    }
    assert.equal(await hub.stop('SIGINT'), 0);
  });

  it('takes its token from SWITCHYARD_HUB_TOKEN', async () => {
    const hub = await start(['--data-dir', join(dir, 'token')], { SWITCHYARD_HUB_TOKEN: 'tok' });
    const path = hub.url + registryPaths.instance('a');
    assert.equal((await call(path, 'PUT', reg('a'))).status, 401);
    assert.equal((await call(path, 'PUT', reg('a'), { authorization: 'Bearer tok' })).status, 200);
  });

  it('refuses to listen off loopback without a token, saying why', async () => {
    const args = ['--conditions=source', '--import', 'tsx', 'src/cli/main.ts', 'hub', '--host', '0.0.0.0'];
    const failed = await run(
      process.execPath,
      [...args, '--port', '0', '--dns-port', '0', '--data-dir', join(dir, 'open')],
      {
        cwd: root,
        env: { ...process.env, SWITCHYARD_HUB_TOKEN: '' },
      },
    ).then(
      () => assert.fail('the hub started'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /refusing to listen on 0\.0\.0\.0 without a token/);
  });
});
