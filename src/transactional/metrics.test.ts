import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Registry } from 'prom-client';
import { SwitchyardError } from '../errors/index.js';
import { silentLogger } from './events.js';
import { createInbox } from './inbox.js';
import { transactionalMetrics } from './metrics.js';
import { openSqliteStore } from './sqlite/store.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-metrics-'));
const store = openSqliteStore({ file: join(dir, 'service.db') });
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('backlog, relay and inbox series in the registry', async () => {
  const registry = new Registry();
  const metrics = transactionalMetrics({ registry });
  metrics.watch(store, 'orders');
  await store.transaction((tx) =>
    tx.outbox.publish([{ channel: 'c', partition: 0, id: 'm1', headers: {}, body: new Uint8Array() }]),
  );
  const inbox = createInbox({ store, logger: silentLogger, onEvent: metrics.onEvent, cleanupIntervalMs: 0 });
  await inbox.process({ group: 'billing', messageId: 'x' }, async () => {});
  await inbox.process({ group: 'billing', messageId: 'x' }, async () => {});
  metrics.onEvent({ type: 'relayed', relay: 'polling', count: 2, lagsMs: [3, 40] });
  metrics.onEvent({
    type: 'relay-failed',
    relay: 'polling',
    error: new SwitchyardError('UNAVAILABLE', 'broker away'),
    retryInMs: 100,
  });
  metrics.onEvent({ type: 'leadership', relay: 'log-tailing', leader: true });

  const text = await registry.metrics();
  assert.match(text, /switchyard_outbox_backlog_messages\{store="orders"\} 1/);
  assert.match(text, /switchyard_outbox_oldest_unpublished_age_seconds\{store="orders"\} \d/);
  assert.match(text, /switchyard_outbox_failing_messages\{store="orders"\} 0/);
  assert.match(text, /switchyard_outbox_relayed_total\{relay="polling"\} 2/);
  assert.match(text, /switchyard_outbox_relay_lag_seconds_bucket\{le="0.005",relay="polling"\} 1/);
  assert.match(text, /switchyard_outbox_relay_failures_total\{relay="polling",code="UNAVAILABLE"\} 1/);
  assert.match(text, /switchyard_outbox_relay_leader\{relay="log-tailing"\} 1/);
  assert.match(text, /switchyard_inbox_processed_total\{group="billing"\} 1/);
  assert.match(text, /switchyard_inbox_duplicates_total\{group="billing"\} 1/);
});
