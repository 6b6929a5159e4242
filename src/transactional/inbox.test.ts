import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ReceivedMessage } from '../messaging/bus/types.js';
import { Context } from '../runtime/index.js';
import { silentLogger, type TransactionalEvent } from './events.js';
import { createInbox } from './inbox.js';
import { openPostgresStore, type PostgresStore } from './postgres/store.js';
import { openSqliteStore, type SqliteStore } from './sqlite/store.js';
import { dropPostgres, pgConnection, unique } from './testing/engines.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => console.error(e));
});

/** The same effects table and statements on both databases, behind two small functions. */
interface Fixture {
  readonly name: string;
  open(): Promise<{
    store: PostgresStore | SqliteStore;
    applyEffect(tx: unknown, key: string): Promise<void>;
    effects(): Promise<string[]>;
  }>;
}

const fixtures: Fixture[] = [
  {
    name: 'PostgreSQL',
    async open() {
      const schema = unique('inbox');
      const store = await openPostgresStore({ connection: pgConnection, schema });
      cleanups.push(async () => {
        await store.close();
        await dropPostgres({ schema });
      });
      await store.pool.query(`CREATE TABLE "${schema}".effects (seq serial, key text)`);
      return {
        store,
        applyEffect: async (tx, key) =>
          void (await (tx as { query(s: string, v: unknown[]): Promise<unknown> }).query(
            `INSERT INTO "${schema}".effects (key) VALUES ($1)`,
            [key],
          )),
        effects: async () =>
          (await store.pool.query(`SELECT key FROM "${schema}".effects ORDER BY seq`)).rows.map((r) => r.key),
      };
    },
  },
  {
    name: 'SQLite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-inbox-'));
      const store = openSqliteStore({ file: join(dir, 'service.db') });
      cleanups.push(async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      });
      store.db.exec(`CREATE TABLE effects (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT)`);
      return {
        store,
        applyEffect: async (tx, key) =>
          void (tx as { db: SqliteStore['db'] }).db.prepare(`INSERT INTO effects (key) VALUES (?)`).run(key),
        effects: async () =>
          (store.db.prepare(`SELECT key FROM effects ORDER BY seq`).all() as { key: string }[]).map(
            (r) => r.key,
          ),
      };
    },
  },
];

const received = (id: string, group = 'billing'): ReceivedMessage => ({
  id,
  type: 'orders.orderCreated',
  source: 'orders',
  channel: 'orders',
  partition: 0,
  group,
  key: undefined,
  deliveryCount: 1,
  attempt: 1,
  headers: {},
});

for (const fixture of fixtures) {
  describe(`inbox on ${fixture.name}`, () => {
    test('runs a message once per group, skips the duplicate and answers it with the first reply', async () => {
      const { store, applyEffect, effects } = await fixture.open();
      const events: TransactionalEvent[] = [];
      const inbox = createInbox({
        store: store as PostgresStore,
        logger: silentLogger,
        onEvent: (e) => events.push(e),
      });
      cleanups.push(async () => inbox.close());
      let runs = 0;
      const handle = inbox.handler<{ key: string }, { charged: string }>(
        async (payload, _ctx, _message, tx) => {
          runs++;
          await applyEffect(tx, payload.key);
          return { charged: payload.key };
        },
      );
      const ctx = new Context();
      assert.deepEqual(await handle({ key: 'a' }, ctx, received('m1')), { charged: 'a' });
      assert.deepEqual(await handle({ key: 'a' }, ctx, received('m1')), { charged: 'a' });
      assert.deepEqual(await handle({ key: 'a' }, ctx, received('m1', 'audit')), { charged: 'a' });
      assert.equal(runs, 2);
      assert.deepEqual(await effects(), ['a', 'a']);
      assert.deepEqual(
        events.map((e) => e.type),
        ['inbox-processed', 'inbox-duplicate', 'inbox-processed'],
      );
    });

    test('a failing handler rolls back its effect and the recorded id, so the redelivery runs again', async () => {
      const { store, applyEffect, effects } = await fixture.open();
      const inbox = createInbox({ store: store as PostgresStore, logger: silentLogger });
      cleanups.push(async () => inbox.close());
      let fail = true;
      const run = () =>
        inbox.process({ group: 'g', messageId: 'm1' }, async (tx) => {
          await applyEffect(tx, 'x');
          if (fail) throw new Error('card declined by a flaky gateway');
          return 'ok';
        });
      await assert.rejects(run(), /flaky gateway/);
      assert.deepEqual(await effects(), []);
      fail = false;
      assert.deepEqual(await run(), { duplicate: false, result: 'ok' });
      assert.deepEqual(await run(), { duplicate: true, result: 'ok' });
      assert.deepEqual(await effects(), ['x']);
    });

    test('concurrent deliveries of one message apply it once', async () => {
      const { store, applyEffect, effects } = await fixture.open();
      const inbox = createInbox({ store: store as PostgresStore, logger: silentLogger });
      cleanups.push(async () => inbox.close());
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () =>
          inbox.process({ group: 'g', messageId: 'same' }, async (tx) => {
            await applyEffect(tx, 'once');
            await new Promise((resolve) => setTimeout(resolve, 20));
          }),
        ),
      );
      assert.equal(outcomes.filter((o) => !o.duplicate).length, 1);
      assert.deepEqual(await effects(), ['once']);
    });

    test('the handler writes messages to the outbox in the same transaction', async () => {
      const { store } = await fixture.open();
      const inbox = createInbox({ store: store as PostgresStore, logger: silentLogger });
      cleanups.push(async () => inbox.close());
      const reply = { channel: 'replies', partition: 0, id: 'r1', headers: {}, body: new Uint8Array([1]) };
      await assert.rejects(
        inbox.process({ group: 'g', messageId: 'm' }, async (tx) => {
          await tx.outbox.publish([reply]);
          throw new Error('no');
        }),
      );
      assert.equal((await store.backlog()).unpublished, 0);
      await inbox.process({ group: 'g', messageId: 'm' }, (tx) => tx.outbox.publish([reply]));
      await inbox.process({ group: 'g', messageId: 'm' }, (tx) => tx.outbox.publish([reply]));
      assert.equal((await store.backlog()).unpublished, 1);
    });
  });
}
