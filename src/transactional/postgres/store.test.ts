import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createEnvelope } from '../../envelope/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { toOutgoing } from '../../messaging/bus/encoding.js';
import { adminQuery, dropPostgres, pgConnection, unique } from '../testing/engines.js';
import { openPostgresStore, type PostgresStore } from './store.js';

const schemas: string[] = [];
const stores: PostgresStore[] = [];
after(async () => {
  for (const store of stores) await store.close().catch(() => {});
  for (const schema of schemas) await dropPostgres({ schema });
});

async function open(options: Parameters<typeof openPostgresStore>[0] = {}): Promise<PostgresStore> {
  const schema = options.schema ?? unique('store');
  if (!schemas.includes(schema)) schemas.push(schema);
  const store = await openPostgresStore({ connection: pgConnection, schema, ...options });
  stores.push(store);
  return store;
}

const envelopeMessage = (channel: string, key: string, n: number) =>
  toOutgoing(
    createEnvelope({ source: 'orders', type: 'orders.orderCreated', data: { key, n }, partitionkey: key }),
    { channel, partitions: 4 },
  );

describe('PostgreSQL store', () => {
  test('concurrent starters migrate a new schema once', async () => {
    const schema = unique('migrate');
    const opened = await Promise.all(Array.from({ length: 4 }, () => open({ schema, lanes: 8 })));
    assert.ok(opened.every((s) => s.lanes === 8));
    const versions = await adminQuery<{ version: number }>(`SELECT version FROM "${schema}".sy_migrations`);
    assert.deepEqual(
      versions.map((v) => v.version),
      [1],
    );
    // Reopening with another lane count keeps the schema's own.
    assert.equal((await open({ schema, lanes: 32 })).lanes, 8);
  });

  test('a committed transaction keeps the business row and the whole message; a rollback keeps neither', async () => {
    const store = await open();
    await store.pool.query(`CREATE TABLE "${store.names.schema}".orders (id text PRIMARY KEY)`);
    const message = envelopeMessage('orders', 'order-1', 1);
    await store.transaction(async (tx) => {
      await tx.query(`INSERT INTO "${store.names.schema}".orders VALUES ($1)`, ['order-1']);
      await tx.outbox.publish([message]);
    });
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.query(`INSERT INTO "${store.names.schema}".orders VALUES ($1)`, ['order-2']);
        await tx.outbox.publish([envelopeMessage('orders', 'order-2', 1)]);
        throw new Error('business rule failed');
      }),
      /business rule failed/,
    );
    const orders = await store.pool.query(`SELECT id FROM "${store.names.schema}".orders`);
    assert.deepEqual(
      orders.rows.map((r) => r.id),
      ['order-1'],
    );
    const rows = (await store.pool.query(`SELECT * FROM ${store.names.outbox}`)).rows;
    assert.equal(rows.length, 1);
    assert.equal(rows[0].message_id, message.id);
    assert.equal(rows[0].channel, 'orders');
    assert.equal(rows[0].partition, message.partition);
    assert.deepEqual(rows[0].headers, message.headers);
    assert.deepEqual(new Uint8Array(rows[0].body), new Uint8Array(message.body));
    assert.equal(rows[0].headers['ce-partitionkey'], 'order-1');
    const backlog = await store.backlog();
    assert.equal(backlog.unpublished, 1);
    assert.equal(backlog.failing, 0);
    assert.ok(backlog.oldestAgeMs !== null && backlog.oldestAgeMs >= 0);
  });

  test('many messages in one write, and a sink for a transaction the caller opened', async () => {
    const store = await open();
    const client = await store.pool.connect();
    try {
      await client.query('BEGIN');
      await store
        .outboxFor(client)
        .publish(Array.from({ length: 50 }, (_, i) => envelopeMessage('c', `k${i}`, i)));
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await store
        .outboxFor(client)
        .publish(Array.from({ length: 50 }, (_, i) => envelopeMessage('c', `k${i}`, i)));
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    assert.equal((await store.backlog()).unpublished, 50);
  });

  test('rows written with the COMMIT keep every byte and the order of the publish calls', async () => {
    const store = await open();
    const tricky = {
      channel: "it's a \\ channel",
      partition: 3,
      id: `id-'"\\-ünï-😀`,
      headers: { quote: "O'Brien", slash: 'a\\b\\\\', json: '{"x":"\\u0000?"}', line: 'a\nb' },
      body: new Uint8Array([0, 39, 92, 255, 10, 0]),
    };
    const large = { ...envelopeMessage('c', 'big', 1), body: new Uint8Array(100_000).fill(7) };
    await store.transaction(async (tx) => {
      await tx.outbox.publish([tricky, envelopeMessage('c', 'k', 1)]);
      await tx.outbox.publish([large]); // past the inline limit: bound, after the two waiting rows
      await tx.outbox.publish([envelopeMessage('c', 'k', 2)]);
    });
    const rows = (await store.pool.query(`SELECT * FROM ${store.names.outbox} ORDER BY id`)).rows;
    assert.deepEqual(
      rows.map((r) => r.channel),
      [tricky.channel, 'c', 'c', 'c'],
    );
    assert.equal(rows[0].message_id, tricky.id);
    assert.equal(rows[0].partition, 3);
    assert.deepEqual(rows[0].headers, tricky.headers);
    assert.deepEqual(new Uint8Array(rows[0].body), tricky.body);
    assert.equal(rows[2].body.length, 100_000);
    assert.deepEqual(
      rows.slice(1).map((r) => r.headers['ce-partitionkey']),
      ['k', 'big', 'k'],
    );
  });

  test('an outbox write that fails at commit rolls the whole transaction back', async () => {
    const store = await open();
    const orders = `"${store.names.schema}".orders`;
    await store.pool.query(`CREATE TABLE ${orders} (id text PRIMARY KEY)`);
    // PostgreSQL refuses a NUL in text: the failure comes from the server, with the COMMIT.
    const bad = { ...envelopeMessage('c', 'k', 1), headers: { bad: 'a\u0000b' } };
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${orders} VALUES ('lost')`);
        await tx.outbox.publish([bad]);
      }),
    );
    assert.equal((await store.pool.query(`SELECT * FROM ${orders}`)).rowCount, 0);
    assert.equal((await store.backlog()).unpublished, 0);
    // The connections went back to the pool usable.
    for (let i = 0; i < 12; i++)
      await store.transaction((tx) => tx.query(`INSERT INTO ${orders} VALUES ('ok${i}')`));
    assert.equal((await store.pool.query(`SELECT * FROM ${orders}`)).rowCount, 12);
  });

  test('a message no relay could publish is refused at write time', async () => {
    const store = await open();
    await assert.rejects(
      store.transaction((tx) => tx.outbox.publish([{ ...envelopeMessage('c', 'k', 1), partition: -1 }])),
      (error) => SwitchyardError.is(error, 'INVALID_ARGUMENT'),
    );
    assert.equal((await store.backlog()).unpublished, 0);
  });

  test('cleanup deletes published rows past retention and old inbox ids, nothing else', async () => {
    const store = await open({ retention: { publishedMs: 60_000, processedMs: 60_000 } });
    await store.transaction((tx) =>
      tx.outbox.publish([
        envelopeMessage('c', 'a', 1),
        envelopeMessage('c', 'b', 1),
        envelopeMessage('c', 'c', 1),
      ]),
    );
    const n = store.names;
    await store.pool.query(`UPDATE ${n.outbox} SET published_at = now() - interval '2 minutes' WHERE id = 1`);
    await store.pool.query(`UPDATE ${n.outbox} SET published_at = now() WHERE id = 2`);
    await store.pool.query(`INSERT INTO ${n.inbox} (consumer_group, message_id, processed_at)
      VALUES ('g', 'old', now() - interval '2 minutes'), ('g', 'new', now())`);
    assert.deepEqual(await store.cleanup(), { outbox: 1, inbox: 1, operations: 0 });
    const left = await store.pool.query(`SELECT id FROM ${n.outbox} ORDER BY id`);
    assert.deepEqual(
      left.rows.map((r) => Number(r.id)),
      [2, 3],
    );
  });

  test('an unreachable database fails to open', async () => {
    await assert.rejects(
      openPostgresStore({
        connection: { host: '127.0.0.1', port: 1, user: 'postgres', connectionTimeoutMillis: 2_000 },
        schema: unique('nowhere'),
      }),
    );
  });
});
