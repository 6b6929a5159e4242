import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { flagPaths } from '../discovery/hub-api.js';
import { startHub, type Hub } from '../hub/index.js';
import { call } from '../../test/hub/support.js';
import { createFlags, type Flags } from './flags.js';
import { recordEvents } from './test-support.js';

const canary = (share: number) => ({
  variants: { v2: { upstream: 'orders@2' }, v1: { upstream: 'orders@1' } },
  defaultVariant: 'v1',
  rollout: { v2: share },
});
const requests = Array.from({ length: 2000 }, (_, i) => `client-${i}`);

describe('flags from the hub', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-flags-hub-'));
  let hub: Hub;
  let flags: Flags;
  let events: ReturnType<typeof recordEvents>;
  const put = async (key: string, definition: unknown) => {
    const res = await call(hub.url + flagPaths.flag(key), 'PUT', definition);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const toV2 = () =>
    requests.filter((targetingKey) => flags.evaluate('orders-canary', { targetingKey }).variant === 'v2');

  before(async () => {
    hub = await startHub({ port: 0, dnsPort: 0, dataDir: dir });
    await put('orders-canary', canary(10));
    flags = createFlags({ hub: { url: hub.url, waitSeconds: 5, backoff: { initialMs: 50, maxMs: 200 } } });
    events = recordEvents(flags);
    await flags.ready();
    await events.next('change');
  });
  after(async () => {
    await flags.close();
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves canary traffic by percentage as the flag changes, without restarts', async () => {
    const at10 = toV2();
    assert.ok(Math.abs(at10.length - 200) <= 40, `${at10.length} of 2000 to v2 at 10%`);
    assert.deepEqual(flags.evaluate('orders-canary', { targetingKey: at10[0]! }).value, {
      upstream: 'orders@2',
    });

    await put('orders-canary', canary(50));
    assert.deepEqual((await events.next('change')).change.changed, ['orders-canary']);
    const at50 = toV2();
    assert.ok(Math.abs(at50.length - 1000) <= 80, `${at50.length} of 2000 to v2 at 50%`);
    assert.ok(
      at10.every((client) => at50.includes(client)),
      'clients already on v2 stay there',
    );

    await put('orders-canary', canary(0));
    await events.next('change');
    assert.deepEqual(toV2(), []);
  });

  it('keeps serving the last flags while the hub is down, and catches up when it returns', async () => {
    const port = hub.port;
    await hub.close();
    assert.equal((await events.next('error')).error.code, 'UNAVAILABLE');
    assert.equal(flags.stale, true);
    assert.equal(flags.evaluate('orders-canary', { targetingKey: 'x' }).variant, 'v1');

    hub = await startHub({ port, dnsPort: 0, dataDir: dir });
    await put('orders-canary', canary(100));
    // Recovery and the change may arrive as one event or two.
    while (flags.evaluate('orders-canary', { targetingKey: 'x' }).variant !== 'v2')
      await events.next('change');
    assert.equal(flags.stale, false);
  });
});
