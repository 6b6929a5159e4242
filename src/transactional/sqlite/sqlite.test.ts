import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SwitchyardError } from '../../errors/index.js';
import type { ChannelSpec, OutgoingMessage } from '../../messaging/adapter.js';
import { embeddedBroker, type EmbeddedBroker } from '../../messaging/embedded/index.js';
import { partitionFor } from '../../messaging/partition.js';
import { silentLogger, type TransactionalEvent } from '../events.js';
import { createInbox } from '../inbox.js';
import { Collector, eventually, unique } from '../testing/engines.js';
import { startSqliteRelay } from './relay.js';
import { openSqliteStore, type SqliteStoreOptions } from './store.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => console.error(e));
});

/** The embedded set-up: the service's own SQLite database and the embedded broker's, side by side. */
async function embedded(options: Partial<SqliteStoreOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-outbox-'));
  const file = join(dir, 'service.db');
  const store = openSqliteStore({ file, ...options });
  const broker: EmbeddedBroker = embeddedBroker({ file: join(dir, 'broker.db'), leaseMs: 500 });
  const spec: ChannelSpec = { name: unique('orders'), partitions: 4 };
  await broker.ensureChannel(spec);
  cleanups.push(async () => {
    await broker.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, file, store, broker, spec };
}

const keyed = (spec: ChannelSpec, key: string, seq: number): OutgoingMessage => ({
  channel: spec.name,
  partition: partitionFor(key, spec.partitions),
  id: `${key}:${seq}`,
  headers: { key, seq: String(seq) },
  body: new TextEncoder().encode(`${key} ${seq}`),
});

describe('SQLite outbox and relay', () => {
  test('commits wake the relay at once; rollbacks publish nothing; order per key holds', async () => {
    const { store, broker, spec } = await embedded();
    const collector = new Collector(broker, spec);
    cleanups.push(() => collector.close());
    // No polling to speak of: only the commit signal can wake the relay within the test.
    const relay = await startSqliteRelay({ store, broker, pollIntervalMs: 60_000, logger: silentLogger });
    cleanups.push(() => relay.stop());
    await eventually(
      async () => (await relay.runOnce()) === 0,
      5_000,
      () => 'idle',
    );

    store.db.exec(`CREATE TABLE orders (id TEXT PRIMARY KEY)`);
    await assert.rejects(
      store.transaction(async (tx) => {
        tx.db.prepare(`INSERT INTO orders VALUES (?)`).run('o-0');
        await tx.outbox.publish([keyed(spec, 'rolled-back', 0)]);
        throw new Error('rule');
      }),
    );
    for (let seq = 0; seq < 20; seq++)
      await store.transaction(async (tx) => {
        tx.db.prepare(`INSERT INTO orders VALUES (?)`).run(`o-${seq + 1}`);
        await tx.outbox.publish([keyed(spec, 'a', seq), keyed(spec, 'b', seq)]);
      });
    await eventually(
      () => collector.received.length === 40,
      5_000,
      () => `got ${collector.received.length}`,
    );
    assert.ok(!collector.ids().some((id) => id.startsWith('rolled-back')));
    for (const key of ['a', 'b'])
      assert.deepEqual(
        collector.received.filter((d) => d.headers.key === key).map((d) => Number(d.headers.seq)),
        Array.from({ length: 20 }, (_, i) => i),
      );
    await eventually(
      async () => (await store.backlog()).unpublished === 0,
      5_000,
      () => 'rows marked',
    );
    assert.equal(collector.received.length, 40);
  });

  test('synchronous writes inside a db.transaction of the caller, and commits by another connection', async () => {
    const { store, broker, spec, file } = await embedded();
    const collector = new Collector(broker, spec);
    cleanups.push(() => collector.close());
    const relay = await startSqliteRelay({ store, broker, pollIntervalMs: 60_000, logger: silentLogger });
    cleanups.push(() => relay.stop());
    await eventually(
      async () => (await relay.runOnce()) === 0,
      5_000,
      () => 'idle',
    );

    store.db.transaction(() => store.append([keyed(spec, 'sync', 0)]))();
    await eventually(
      () => collector.received.length === 1,
      5_000,
      () => 'the synchronous write',
    );

    // Another process's commit reaches the relay through the WAL file's change notification.
    const other = new Database(file);
    cleanups.push(async () => void other.close());
    other
      .prepare(
        `INSERT INTO sy_outbox (channel, partition, message_id, headers, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(spec.name, 0, 'from-elsewhere', '{}', Buffer.from('x'), Date.now());
    await eventually(
      () => collector.received.length === 2,
      5_000,
      () => 'the other connection’s write',
    );
  });

  test('one active relay per file; another takes over when it stops', async () => {
    const { store, broker, spec, file } = await embedded();
    const collector = new Collector(broker, spec);
    cleanups.push(() => collector.close());
    const second = openSqliteStore({ file });
    cleanups.push(() => second.close());
    const counts = { first: 0, second: 0 };
    const count = (name: keyof typeof counts) => (e: TransactionalEvent) =>
      void (e.type === 'relayed' && (counts[name] += e.count));
    const first = await startSqliteRelay({
      store,
      broker,
      leaseMs: 300,
      logger: silentLogger,
      onEvent: count('first'),
    });
    await eventually(
      async () => (await first.runOnce()) === 0,
      5_000,
      () => 'idle',
    );
    const standby = await startSqliteRelay({
      store: second,
      broker,
      leaseMs: 300,
      logger: silentLogger,
      onEvent: count('second'),
    });
    cleanups.push(() => standby.stop());
    await store.transaction((tx) => tx.outbox.publish([keyed(spec, 'k', 0)]));
    await eventually(
      () => collector.received.length === 1,
      5_000,
      () => 'first batch',
    );
    assert.deepEqual(counts, { first: 1, second: 0 });
    await first.stop();
    await store.transaction((tx) => tx.outbox.publish([keyed(spec, 'k', 1)]));
    await eventually(
      () => collector.received.length === 2,
      5_000,
      () => 'after take-over',
    );
    assert.deepEqual(counts, { first: 1, second: 1 });
  });

  test('a refused row holds back its partition only, and is retried', async () => {
    const { store, broker, spec } = await embedded();
    const collector = new Collector(broker, spec);
    cleanups.push(() => collector.close());
    const failures: TransactionalEvent[] = [];
    const relay = await startSqliteRelay({
      store,
      broker,
      retry: { initialDelayMs: 30, maxDelayMs: 60 },
      pollIntervalMs: 50,
      logger: silentLogger,
      onEvent: (e) => void (e.type === 'relay-failed' && failures.push(e)),
    });
    cleanups.push(() => relay.stop());
    const good = keyed(spec, 'good', 0);
    const bad = { ...keyed(spec, 'bad', 0), channel: 'missing-channel' };
    const afterBad = { ...keyed(spec, 'bad', 1), channel: 'missing-channel' };
    await store.transaction((tx) => tx.outbox.publish([bad, good, afterBad]));
    await eventually(
      () => collector.received.length === 1 && failures.length >= 2,
      5_000,
      () => 'good one out',
    );
    const rows = store.db
      .prepare(
        `SELECT message_id, attempts, last_error FROM sy_outbox WHERE published_at IS NULL ORDER BY id`,
      )
      .all() as { message_id: string; attempts: number; last_error: string | null }[];
    assert.deepEqual(
      rows.map((r) => r.message_id),
      [bad.id, afterBad.id],
    );
    assert.ok(rows[0]!.attempts >= 2);
    assert.match(rows[0]!.last_error!, /NOT_FOUND/);
    assert.equal(rows[1]!.attempts, 0, 'the row behind it was never tried');
  });

  test('the SQLite inbox with the embedded broker: a redelivered message applies once', async () => {
    const { store, broker, spec } = await embedded();
    store.db.exec(`CREATE TABLE effects (id TEXT)`);
    const inbox = createInbox({ store, logger: silentLogger });
    cleanups.push(async () => inbox.close());
    const relay = await startSqliteRelay({ store, broker, logger: silentLogger });
    cleanups.push(() => relay.stop());
    await store.transaction((tx) => tx.outbox.publish([keyed(spec, 'k', 0), keyed(spec, 'k', 1)]));
    const consumer = broker.consume({ channel: spec, group: 'billing', member: unique('m') });
    cleanups.push(() => consumer.close());
    const outcomes: boolean[] = [];
    for await (const delivery of consumer) {
      const outcome = await inbox.process({ group: 'billing', messageId: delivery.id }, async (tx) => {
        tx.db.prepare(`INSERT INTO effects VALUES (?)`).run(delivery.id);
      });
      outcomes.push(outcome.duplicate);
      // The first delivery is "lost" after its effect committed: the broker delivers it again.
      if (delivery.deliveryCount === 1 && delivery.headers.seq === '0') await delivery.nak();
      else await delivery.ack();
      if (outcomes.length === 3) break;
    }
    assert.deepEqual(outcomes, [false, true, false]);
    assert.deepEqual(
      (store.db.prepare(`SELECT id FROM effects`).all() as { id: string }[]).map((r) => r.id),
      ['k:0', 'k:1'],
    );
  });

  test('a transaction inside a transaction of the same store is refused, not deadlocked', async () => {
    const { store } = await embedded();
    await assert.rejects(
      store.transaction(() => store.transaction(async () => {})),
      (error) => SwitchyardError.is(error, 'FAILED_PRECONDITION'),
    );
  });
  test("a transaction waits for another connection's write lock on a timer, the event loop free", async () => {
    const { store, file } = await embedded();
    store.db.exec(`CREATE TABLE orders (id TEXT PRIMARY KEY)`);
    // Another connection of this very process: in SQLite's busy handler the thread would sleep until
    // the busy timeout, and this connection could never commit.
    const other = new Database(file);
    cleanups.push(async () => void other.close());
    other.exec('BEGIN IMMEDIATE');
    let committed = false;
    const done = store
      .transaction(async (tx) => void tx.db.prepare(`INSERT INTO orders VALUES (?)`).run('o-1'))
      .then(() => (committed = true));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await new Promise((resolve) => setTimeout(resolve, 300));
    clearInterval(timer);
    assert.ok(ticks >= 10, `${ticks} timers of 10 ms ran in 300 ms`);
    assert.equal(committed, false, 'the transaction waits for the lock');
    other.exec('COMMIT');
    await done;
    assert.deepEqual(store.db.prepare(`SELECT id FROM orders`).all(), [{ id: 'o-1' }]);
  });

  test('a lock held past the busy timeout fails the transaction with UNAVAILABLE', async () => {
    const { store, file } = await embedded();
    const other = new Database(file);
    cleanups.push(async () => void other.close());
    other.exec('BEGIN IMMEDIATE');
    try {
      await assert.rejects(
        store.transaction(async () => assert.fail('the transaction must not start')),
        (error: unknown) =>
          error instanceof SwitchyardError &&
          error.code === 'UNAVAILABLE' &&
          /locked by another process/.test(error.message),
      );
    } finally {
      other.exec('ROLLBACK');
    }
    // The store is usable again once the lock is free.
    assert.equal(await store.transaction(async () => 'ok'), 'ok');
  });
});
