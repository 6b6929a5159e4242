import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createEnvelope } from '../../envelope/index.js';
import type { ChannelSpec, OutgoingMessage } from '../../messaging/adapter.js';
import { toOutgoing } from '../../messaging/bus/encoding.js';
import type { TransactionalEvent } from '../events.js';
import { silentLogger } from '../events.js';
import {
  Collector,
  dropPostgres,
  eventually,
  keyed,
  pgConnection,
  testBroker,
  unique,
  type TestBroker,
} from '../testing/engines.js';
import { startPollingRelay } from './polling-relay.js';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from './store.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => console.error(e));
});

async function open(options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const schema = unique('poll');
  const store = await openPostgresStore({ connection: pgConnection, schema, ...options });
  cleanups.push(async () => {
    await store.close();
    await dropPostgres({ schema });
  });
  return store;
}

function broker(engine: Parameters<typeof testBroker>[0], channels: ChannelSpec[]): TestBroker {
  const b = testBroker(engine);
  cleanups.push(() => b.dispose(channels.map((c) => c.name)));
  return b;
}

/** A relay on `store` into a fresh JetStream channel, and a collector of what reaches the channel. */
async function relayWithCollector(
  store: PostgresStore,
  spec: ChannelSpec,
  options: Partial<Parameters<typeof startPollingRelay>[0]>,
) {
  const { adapter, another } = broker('jetstream', [spec]);
  await adapter.ensureChannel(spec);
  const collector = new Collector(adapter, spec);
  cleanups.push(() => collector.close());
  const relay = await startPollingRelay({ store, broker: another(), logger: silentLogger, ...options });
  cleanups.push(() => relay.stop());
  return collector;
}

/** Keys whose seqs do not increase by one at each delivery (no repeats expected without kills). */
function outOfOrder(messages: readonly { headers: Readonly<Record<string, string>> }[]): string[] {
  const last = new Map<string, number>();
  const bad: string[] = [];
  for (const { headers } of messages) {
    const key = headers.key!;
    const seq = Number(headers.seq);
    if (seq !== (last.get(key) ?? -1) + 1) bad.push(`${key}: ${seq} after ${last.get(key)}`);
    last.set(key, seq);
  }
  return bad;
}

describe('polling relay', () => {
  test('relays exactly what was committed, wakes on commit, and marks rows only once confirmed', async () => {
    const spec = { name: unique('orders'), partitions: 4 };
    const store = await open({ notify: true });
    // A poll period far beyond the test: only the NOTIFY at commit can wake the relay in time.
    const collector = await relayWithCollector(store, spec, { pollIntervalMs: 60_000 });

    const envelope = createEnvelope({
      source: 'orders',
      type: 'orders.orderCreated',
      data: { orderId: 'o-1', total: 12.5 },
      partitionkey: 'o-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      correlationid: 'corr-1',
    });
    const message = toOutgoing(envelope, { channel: spec.name, partitions: spec.partitions });
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.outbox.publish([
          toOutgoing(createEnvelope({ source: 'orders', type: 'x', data: 1 }), {
            channel: spec.name,
            partitions: 4,
          }),
        ]);
        throw new Error('rolled back');
      }),
    );
    await store.transaction((tx) => tx.outbox.publish([message]));
    await eventually(
      () => collector.received.length >= 1,
      10_000,
      () => 'the committed message',
    );
    const [got] = collector.received;
    assert.equal(got!.id, message.id);
    assert.equal(got!.partition, message.partition);
    assert.deepEqual(got!.headers, message.headers);
    assert.deepEqual(new Uint8Array(got!.body), new Uint8Array(message.body));
    await eventually(
      async () => (await store.backlog()).unpublished === 0,
      5_000,
      () => 'row marked published',
    );
    const row = (await store.pool.query(`SELECT published_at, attempts FROM ${store.names.outbox}`)).rows;
    assert.equal(row.length, 1, 'the rolled-back message never reached the table');
    assert.ok(row[0].published_at instanceof Date);
    assert.equal(collector.received.length, 1);
  });

  test('with busyPollIntervalMs, a batch with rows is followed by polls within milliseconds', async () => {
    const spec = { name: unique('busy'), partitions: 1 };
    const store = await open();
    const collector = await relayWithCollector(store, spec, { pollIntervalMs: 3_000, busyPollIntervalMs: 5 });
    await store.transaction((tx) => tx.outbox.publish([keyed(spec, 'k', 0)]));
    await eventually(
      () => collector.received.length >= 1,
      10_000,
      () => 'the first message (after at most one idle poll period)',
    );
    // Steady traffic: the next row comes while the relay polls at its busy pace.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const committed = Date.now();
    await store.transaction((tx) => tx.outbox.publish([keyed(spec, 'k', 1)]));
    await eventually(
      () => collector.received.length >= 2,
      10_000,
      () => 'the second message',
    );
    const waited = Date.now() - committed;
    assert.ok(waited < 1_000, `the second message waited ${waited} ms for a poll period of 3000 ms`);
  });

  test('two relays at once keep per-key order and publish each message once', async () => {
    const spec = { name: unique('ledger'), partitions: 16 };
    const store = await open({ lanes: 32 });
    const { adapter, another } = broker('redis', [spec]);
    await adapter.ensureChannel(spec);
    const collector = new Collector(adapter, spec);
    cleanups.push(() => collector.close());
    const relayed = new Map<string, number>();
    const relays = await Promise.all(
      ['a', 'b'].map((name) =>
        startPollingRelay({
          store,
          broker: another(),
          batchSize: 40,
          lanesPerBatch: 4,
          logger: silentLogger,
          onEvent: (e: TransactionalEvent) => {
            if (e.type === 'relayed') relayed.set(name, (relayed.get(name) ?? 0) + e.count);
          },
        }),
      ),
    );
    cleanups.push(() => Promise.all(relays.map((r) => r.stop())).then(() => {}));

    // Four writers, each owning its keys, write them in sequence while both relays run.
    const keys = 40;
    const perKey = 25;
    await Promise.all(
      Array.from({ length: 4 }, async (_, writer) => {
        for (let seq = 0; seq < perKey; seq++)
          await store.transaction((tx) =>
            tx.outbox.publish(
              Array.from({ length: keys / 4 }, (_, i) => keyed(spec, `k${writer * (keys / 4) + i}`, seq)),
            ),
          );
      }),
    );
    await eventually(
      () => collector.received.length >= keys * perKey,
      30_000,
      () => `received ${collector.received.length} of ${keys * perKey}`,
    );
    await eventually(
      async () => (await store.backlog()).unpublished === 0,
      10_000,
      () => 'all marked',
    );
    assert.equal(new Set(collector.ids()).size, keys * perKey);
    assert.equal(collector.received.length, keys * perKey, 'no message published twice');
    assert.deepEqual(outOfOrder(collector.received), []);
    assert.ok(
      (relayed.get('a') ?? 0) > 0 && (relayed.get('b') ?? 0) > 0,
      `both relays worked: ${[...relayed]}`,
    );
  });

  test('a message the broker refuses stays, is retried with backoff, and holds back only its lane', async () => {
    const spec = { name: unique('refused'), partitions: 2 };
    const store = await open({ lanes: 1 });
    const { adapter, another } = broker('jetstream', [spec]);
    await adapter.ensureChannel(spec);
    const collector = new Collector(adapter, spec);
    cleanups.push(() => collector.close());
    const failures: TransactionalEvent[] = [];
    const relay = await startPollingRelay({
      store,
      broker: another(),
      channels: [spec],
      pollIntervalMs: 50,
      retry: { initialDelayMs: 50, maxDelayMs: 200 },
      logger: silentLogger,
      onEvent: (e) => void (e.type === 'relay-failed' && failures.push(e)),
    });
    cleanups.push(() => relay.stop());

    const bad: OutgoingMessage = { ...keyed(spec, 'k', 1), partition: 7 };
    await store.transaction((tx) => tx.outbox.publish([keyed(spec, 'k', 0)]));
    await eventually(
      () => collector.received.length === 1,
      10_000,
      () => 'first message',
    );
    await store.transaction((tx) => tx.outbox.publish([bad, keyed(spec, 'k', 2)]));
    // The event of a failed attempt can come before its row is updated: one more than is asserted below.
    await eventually(
      () => failures.length >= 4,
      10_000,
      () => `failures: ${failures.length}`,
    );
    const rows = (
      await store.pool.query(
        `SELECT message_id, attempts, last_error, published_at FROM ${store.names.outbox} ORDER BY id`,
      )
    ).rows;
    assert.equal(rows[1].message_id, bad.id);
    assert.ok(rows[1].attempts >= 3, `attempts ${rows[1].attempts}`);
    assert.match(rows[1].last_error, /OUT_OF_RANGE/);
    assert.equal(rows[2].published_at, null, 'the next row of the lane waits behind the refused one');
    assert.equal(collector.received.length, 1);
    const failure = failures[0]!;
    assert.ok(
      failure.type === 'relay-failed' &&
        failure.messageId === bad.id &&
        failure.error.code === 'OUT_OF_RANGE',
    );
    assert.equal((await store.backlog()).failing, 1);

    // The operator removes the poison row; the lane moves on.
    await store.pool.query(`DELETE FROM ${store.names.outbox} WHERE message_id = $1`, [bad.id]);
    await eventually(
      () => collector.received.length === 2,
      10_000,
      () => 'the held-back message',
    );
    assert.equal(collector.received[1]!.headers.seq, '2');
  });

  test('relays into RabbitMQ, deleting rows at once with zero retention', async () => {
    const spec = { name: unique('rabbit'), partitions: 3 };
    const store = await open({ retention: { publishedMs: 0 } });
    const { adapter, another } = broker('rabbitmq', [spec]);
    await adapter.ensureChannel(spec);
    const collector = new Collector(adapter, spec);
    cleanups.push(() => collector.close());
    await eventually(
      () => collector.assigned.size === spec.partitions,
      20_000,
      () => 'partitions assigned',
    );
    const relay = await startPollingRelay({
      store,
      broker: another(),
      channels: [spec],
      logger: silentLogger,
    });
    cleanups.push(() => relay.stop());
    await store.transaction((tx) =>
      tx.outbox.publish(Array.from({ length: 30 }, (_, i) => keyed(spec, `k${i % 3}`, Math.floor(i / 3)))),
    );
    await eventually(
      () => collector.received.length === 30,
      15_000,
      () => `received ${collector.received.length}`,
    );
    assert.deepEqual(outOfOrder(collector.received), []);
    await eventually(
      async () => (await store.pool.query(`SELECT 1 FROM ${store.names.outbox}`)).rowCount === 0,
      5_000,
      () => 'rows deleted',
    );
  });
});
