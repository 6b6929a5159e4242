/**
 * The pieces together through the typed messaging layer: an orders service answers at once with a
 * PENDING operation, asks accounting through its outbox (polling relay), accounting handles the command
 * through its inbox and answers with an event through its own outbox (log-tailing relay), and orders
 * confirms the operation when the event arrives; a client polls the operation-status endpoint.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, test } from 'node:test';
import { command, contract, event, Type } from '../contract/index.js';
import { createMessaging } from '../messaging/bus/index.js';
import { Context } from '../runtime/index.js';
import { silentLogger } from './events.js';
import { createInbox } from './inbox.js';
import { startLogTailingRelay } from './postgres/log-tailing/relay.js';
import { startPollingRelay } from './postgres/polling-relay.js';
import { openPostgresStore, type PostgresStore } from './postgres/store.js';
import { operationStatusHandler } from './pending/http.js';
import { pendingOperations, type OperationStatus } from './pending/operations.js';
import { dropPostgres, pgConnection, testBroker, unique } from './testing/engines.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => console.error(e));
});

const name = `accounting-${randomBytes(4).toString('hex')}`;
const Accounting = contract({
  name,
  version: '1.0.0',
  commands: {
    authorizeCard: command({
      payload: Type.Object({ orderId: Type.String(), operationId: Type.String(), amount: Type.Number() }),
      partitionKey: 'orderId',
    }),
  },
  events: {
    cardAuthorized: event({
      payload: Type.Object({ orderId: Type.String(), operationId: Type.String(), approved: Type.Boolean() }),
      partitionKey: 'orderId',
    }),
  },
});

async function store(kind: string): Promise<PostgresStore> {
  const schema = unique(kind);
  const s = await openPostgresStore({ connection: pgConnection, schema });
  cleanups.push(async () => {
    await s.close();
    await dropPostgres({ schema, slot: `sy_outbox_${schema}`, publication: `sy_outbox_${schema}` });
  });
  return s;
}

test('an order is accepted PENDING and confirmed APPROVED or REJECTED once accounting answered', async () => {
  const b = testBroker('jetstream');
  cleanups.push(() => b.dispose([`${name}.commands`, `${name}.events`]));
  const ordersDb = await store('orders');
  const accountingDb = await store('accounting');
  await ordersDb.pool.query(
    `CREATE TABLE "${ordersDb.names.schema}".orders (id text PRIMARY KEY, amount numeric, status text)`,
  );
  await accountingDb.pool.query(
    `CREATE TABLE "${accountingDb.names.schema}".charges (order_id text PRIMARY KEY, approved boolean)`,
  );

  const orders = createMessaging({ broker: b.another(), service: 'orders' });
  const accounting = createMessaging({ broker: b.another(), service: name });
  cleanups.push(() => Promise.all([orders.close(), accounting.close()]).then(() => {}));
  const ordersInbox = createInbox({ store: ordersDb, logger: silentLogger });
  const accountingInbox = createInbox({ store: accountingDb, logger: silentLogger });
  const operations = pendingOperations({ store: ordersDb });
  cleanups.push(async () => {
    ordersInbox.close();
    accountingInbox.close();
    operations.close();
  });
  const relays = [
    await startPollingRelay({ store: ordersDb, broker: b.another(), logger: silentLogger }),
    await startLogTailingRelay({ store: accountingDb, broker: b.another(), logger: silentLogger }),
  ];
  cleanups.push(() => Promise.all(relays.map((r) => r.stop())).then(() => {}));

  await accounting.handle(Accounting, {
    authorizeCard: accountingInbox.handler(async (payload, ctx, _message, tx) => {
      const approved = payload.amount <= 100;
      await tx.query(`INSERT INTO "${accountingDb.names.schema}".charges VALUES ($1, $2)`, [
        payload.orderId,
        approved,
      ]);
      await accounting.publish(
        Accounting,
        'cardAuthorized',
        { orderId: payload.orderId, operationId: payload.operationId, approved },
        { sink: tx.outbox, parent: ctx },
      );
    }),
  });
  await orders.subscribe(Accounting, {
    cardAuthorized: ordersInbox.handler(async (payload, _ctx, _message, tx) => {
      const status = payload.approved ? 'APPROVED' : 'REJECTED';
      await tx.query(`UPDATE "${ordersDb.names.schema}".orders SET status = $2 WHERE id = $1`, [
        payload.orderId,
        status,
      ]);
      await operations.complete(tx, payload.operationId, { status, result: { orderId: payload.orderId } });
    }),
  });

  // The orders API: create answers 202 at once; the status endpoint serves the operation.
  const statusEndpoint = operationStatusHandler(operations);
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (await statusEndpoint(req, res)) return;
      if (req.method === 'POST' && req.url === '/orders') {
        const body = JSON.parse(await text(req)) as { id: string; amount: number };
        const accepted = await ordersDb.transaction(async (tx) => {
          await tx.query(`INSERT INTO "${ordersDb.names.schema}".orders VALUES ($1, $2, 'PENDING')`, [
            body.id,
            body.amount,
          ]);
          const op = await operations.begin(tx, { kind: 'createOrder', resource: `/orders/${body.id}` });
          await orders.send(
            Accounting,
            'authorizeCard',
            { orderId: body.id, operationId: op.id, amount: body.amount },
            { sink: tx.outbox, parent: new Context() },
          );
          return operations.accepted(op);
        });
        res.writeHead(accepted.status, { ...accepted.headers, 'content-type': 'application/json' });
        res.end(JSON.stringify(accepted.body));
        return;
      }
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const place = async (id: string, amount: number) => {
    const response = await fetch(`${base}/orders`, { method: 'POST', body: JSON.stringify({ id, amount }) });
    assert.equal(response.status, 202);
    const pending = (await response.json()) as OperationStatus;
    assert.equal(pending.status, 'PENDING');
    assert.equal(pending.resource, `/orders/${id}`);
    return response.headers.get('location')!;
  };
  const small = await place('o-1', 40);
  const large = await place('o-2', 400);

  const poll = async (location: string) => {
    const response = await fetch(`${base}${location}?waitMs=15000`);
    assert.equal(response.status, 200);
    return (await response.json()) as OperationStatus;
  };
  const [approved, rejected] = await Promise.all([poll(small), poll(large)]);
  assert.equal(approved.status, 'APPROVED');
  assert.ok(approved.done);
  assert.deepEqual(approved.result, { orderId: 'o-1' });
  assert.equal(rejected.status, 'REJECTED');
  const rows = await ordersDb.pool.query(
    `SELECT id, status FROM "${ordersDb.names.schema}".orders ORDER BY id`,
  );
  assert.deepEqual(rows.rows, [
    { id: 'o-1', status: 'APPROVED' },
    { id: 'o-2', status: 'REJECTED' },
  ]);

  const missing = await fetch(`${base}/operations/nope`);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('content-type'), 'application/problem+json');
  assert.equal(((await missing.json()) as { code: string }).code, 'NOT_FOUND');
});

function text(req: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
