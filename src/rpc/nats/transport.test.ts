import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { headers as natsHeaders, type NatsConnection } from 'nats';
import { Type, contract, operation } from '../../contract/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { Context, createHost, type Host, type Implementation } from '../../runtime/index.js';
import { OrdersContract } from '../../../test/fixtures/orders.contract.js';
import { natsServers, rawConnection, uniqueName } from '../../../test/rpc/fixtures/nats-support.js';
import { createNatsServer, natsTransport, operationSubject, type NatsServer } from './index.js';
import { rejectsWith } from '../../../test/fixtures/orders.impl.js';

const sampleOrder = {
  orderId: 'o-1',
  consumerId: 'c-1',
  state: 'PENDING' as const,
  items: [{ menuItemId: 'm-1', quantity: 2 }],
  total: { amount: 1200, currency: 'EUR' },
  tags: {},
};

// Another service, called from inside an orders handler, to see what crosses a second hop.
const AuditContract = contract({
  name: 'audit',
  version: '1.0.0',
  operations: {
    seen: operation({
      input: Type.Object({}),
      output: Type.Object({
        remainingMs: Type.Number(),
        correlationId: Type.String(),
        causationId: Type.Optional(Type.String()),
        traceId: Type.String(),
        metadata: Type.Record(Type.String(), Type.String()),
      }),
    }),
  },
});

const rejects = rejectsWith;

describe('RPC over NATS: transport', () => {
  const prefix = uniqueName('sy-test');
  let serverHost: Host;
  let server: NatsServer;
  let auditServer: NatsServer;
  let raw: NatsConnection;
  const hosts: Host[] = [];
  let slowStarted = 0;

  const clientHost = (options: { codec?: 'json' | 'msgpack'; validate?: boolean } = {}) => {
    const transport = natsTransport({ servers: natsServers, subjectPrefix: prefix, codec: options.codec });
    const host = createHost({
      name: 'client',
      validate: options.validate ?? true,
      transports: () => transport,
    });
    hosts.push(host);
    return host;
  };

  before(async () => {
    const toAudit = natsTransport({ servers: natsServers, subjectPrefix: prefix });
    serverHost = createHost({ name: 'orders-service', transports: () => toAudit });
    hosts.push(serverHost);
    const orders: Implementation<typeof OrdersContract> = {
      createOrder: (input) => ({ ...sampleOrder, consumerId: input.consumerId, items: input.items }),
      getOrder: async (input, ctx) => {
        if (input.orderId === 'missing')
          throw new SwitchyardError('NOT_FOUND', 'no order missing', { details: { orderId: 'missing' } });
        if (input.orderId === 'declined')
          throw new SwitchyardError('FAILED_PRECONDITION', 'card declined\nby the bank', {
            details: { violations: [{ path: '/card', rule: 'valid', message: 'declined' }], orderId: 'o-7' },
            retryable: true,
          });
        if (input.orderId === 'bug') throw new Error('password=hunter2');
        if (input.orderId === 'slow') {
          slowStarted++;
          await sleep(1000);
        }
        if (input.orderId === 'audit') {
          const seen = await ctx.client(AuditContract).seen({});
          const tags = {
            remainingMs: String(seen.remainingMs),
            correlationId: seen.correlationId,
            causationId: seen.causationId ?? '',
            traceId: seen.traceId,
            metadata: JSON.stringify(seen.metadata),
          };
          return { ...sampleOrder, tags };
        }
        return { ...sampleOrder, orderId: input.orderId, note: `deadline:${ctx.deadline !== undefined}` };
      },
      cancelOrder: (input) => ({ orderId: input.orderId, state: 'CANCELLED' }),
    };
    serverHost.implement(OrdersContract, orders);
    server = createNatsServer({ host: serverHost, servers: natsServers, subjectPrefix: prefix });
    await server.listen();

    // The audit service runs elsewhere; the orders handler reaches it over NATS too.
    const auditHost = createHost({ name: 'audit-service' });
    auditHost.implement(AuditContract, {
      seen: (_input, ctx) => ({
        remainingMs: ctx.remainingMs(),
        correlationId: ctx.correlationId,
        ...(ctx.causationId ? { causationId: ctx.causationId } : {}),
        traceId: ctx.trace.traceparent.split('-')[1]!,
        metadata: { ...ctx.metadata },
      }),
    });
    auditServer = createNatsServer({ host: auditHost, servers: natsServers, subjectPrefix: prefix });
    await auditServer.listen();
    raw = await rawConnection();
  });

  after(async () => {
    await Promise.all(hosts.map((h) => h.close()));
    await Promise.all([server.close(), auditServer.close()]);
    await raw.close();
  });

  it('round-trips a typed call through NATS (JSON)', async () => {
    const orders = clientHost().client(OrdersContract);
    const order = await orders.createOrder({
      consumerId: 'c-9',
      restaurantId: 'r',
      items: [{ menuItemId: 'x', quantity: 3 }],
    });
    assert.equal(order.consumerId, 'c-9');
    assert.deepEqual(order.items, [{ menuItemId: 'x', quantity: 3 }]);
    assert.equal((await orders.getOrder({ orderId: 'o-5' })).orderId, 'o-5');
  });

  it('round-trips with MessagePack', async () => {
    const orders = clientHost({ codec: 'msgpack' }).client(OrdersContract);
    const order = await orders.getOrder({ orderId: 'o-mp' });
    assert.equal(order.orderId, 'o-mp');
    assert.equal(order.total.amount, 1200);
  });

  it('restores the exact code, message, details and retryability of an error', async () => {
    const orders = clientHost({ codec: 'msgpack' }).client(OrdersContract);
    const declined = await rejects(orders.getOrder({ orderId: 'declined' }), 'FAILED_PRECONDITION');
    assert.equal(declined.message, 'card declined\nby the bank');
    assert.deepEqual(declined.details, {
      violations: [{ path: '/card', rule: 'valid', message: 'declined' }],
      orderId: 'o-7',
    });
    assert.equal(declined.retryable, true);
    const missing = await rejects(orders.getOrder({ orderId: 'missing' }), 'NOT_FOUND');
    assert.deepEqual(missing.details, { orderId: 'missing' });
    const hidden = await rejects(orders.getOrder({ orderId: 'bug' }), 'INTERNAL');
    assert.doesNotMatch(hidden.message, /hunter2/);
  });

  it('answers errors in the micro convention, readable by any NATS client', async () => {
    const msg = await raw.request(
      operationSubject(prefix, OrdersContract, 'getOrder'),
      JSON.stringify({ orderId: 'missing' }),
      { timeout: 2000 },
    );
    assert.equal(msg.headers?.get('Nats-Service-Error-Code'), '404');
    assert.equal(msg.headers?.get('Nats-Service-Error'), 'no order missing');
    assert.deepEqual(msg.json(), {
      code: 'NOT_FOUND',
      message: 'no order missing',
      details: { orderId: 'missing' },
      retryable: false,
    });
  });

  it('lets the server validate: INVALID_ARGUMENT with violations crosses the wire', async () => {
    const orders = clientHost({ validate: false }).client(OrdersContract);
    const error = await rejects(
      orders.createOrder({ consumerId: '', restaurantId: 'r', items: [{ menuItemId: 'm', quantity: 0 }] }),
      'INVALID_ARGUMENT',
    );
    const violations = error.details.violations ?? [];
    assert.ok(
      violations.some((v) => v.path === '/items/0/quantity' && v.rule === 'minimum'),
      JSON.stringify(violations),
    );
  });

  it('propagates the deadline, correlation, causation, trace and metadata across two hops', async () => {
    const orders = clientHost().client(OrdersContract);
    const parent = new Context();
    const order = await orders.getOrder(
      { orderId: 'audit' },
      { parent, timeoutMs: 2000, metadata: { tenant: 'acme', userId: 'u-1' } },
    );
    const seen = order.tags;
    const remaining = Number(seen.remainingMs);
    assert.ok(remaining > 1000 && remaining <= 2000, `remaining ${remaining}`);
    assert.equal(seen.correlationId, parent.correlationId);
    assert.ok(seen.causationId && seen.causationId !== parent.id, 'the orders call caused the audit call');
    assert.equal(seen.traceId, parent.trace.traceparent.split('-')[1]);
    assert.deepEqual(JSON.parse(seen.metadata!), { tenant: 'acme', userId: 'u-1' });
  });

  it('fails with DEADLINE_EXCEEDED when no reply comes before the deadline', async () => {
    const orders = clientHost().client(OrdersContract);
    const started = Date.now();
    await rejects(orders.getOrder({ orderId: 'slow' }, { timeoutMs: 100 }), 'DEADLINE_EXCEEDED');
    assert.ok(Date.now() - started < 700, 'gave up at the deadline, not when the handler finished');
    // A deadline already spent fails before anything is sent.
    const before = slowStarted;
    await rejects(orders.getOrder({ orderId: 'slow' }, { deadline: Date.now() - 1 }), 'DEADLINE_EXCEEDED');
    assert.equal(slowStarted, before);
  });

  it('bounds a call without a deadline by the default timeout', async () => {
    const transport = natsTransport({ servers: natsServers, subjectPrefix: prefix, defaultTimeoutMs: 100 });
    const host = createHost({ transports: () => transport });
    hosts.push(host);
    const started = Date.now();
    await rejects(host.client(OrdersContract).getOrder({ orderId: 'slow' }), 'DEADLINE_EXCEEDED');
    const took = Date.now() - started;
    assert.ok(took >= 100 && took < 700, `took ${took} ms`);
  });

  it('lets calls in flight finish when the transport closes', async () => {
    const transport = natsTransport({ servers: natsServers, subjectPrefix: prefix });
    const host = createHost({ transports: () => transport });
    const orders = host.client(OrdersContract);
    const slow = orders.getOrder({ orderId: 'slow' }, { timeoutMs: 5000 });
    await sleep(50);
    await host.close();
    assert.equal((await slow).orderId, 'slow');
  });

  it('fails with UNAVAILABLE and notSent when no instance serves the subject', async () => {
    const transport = natsTransport({ servers: natsServers, subjectPrefix: uniqueName('sy-test-nobody') });
    const host = createHost({ transports: () => transport });
    hosts.push(host);
    const error = await rejects(
      host.client(OrdersContract).getOrder({ orderId: 'o' }, { timeoutMs: 5000 }),
      'UNAVAILABLE',
    );
    assert.equal(error.details.notSent, true);
  });

  it('receives every reply through one reply subscription, whatever the number of calls', async () => {
    const connection = await rawConnection();
    try {
      // A probe answers like the orders service but records the reply subject of every request.
      const probePrefix = uniqueName('sy-test-probe');
      const replySubjects: string[] = [];
      const probe = await rawConnection();
      probe.subscribe(operationSubject(probePrefix, OrdersContract, 'getOrder'), {
        callback: (_err, msg) => {
          replySubjects.push(msg.reply!);
          msg.respond(JSON.stringify(sampleOrder));
        },
      });
      await probe.flush();
      const transport = natsTransport({ connection, subjectPrefix: probePrefix });
      const host = createHost({ transports: () => transport });
      const orders = host.client(OrdersContract);
      const subscriptions = () =>
        (
          connection as unknown as { protocol: { subscriptions: { all(): { subject: string }[] } } }
        ).protocol.subscriptions
          .all()
          .map((s) => s.subject);
      assert.deepEqual(subscriptions(), []);
      await Promise.all(Array.from({ length: 50 }, (_, i) => orders.getOrder({ orderId: `o-${i}` })));
      await Promise.all(Array.from({ length: 50 }, (_, i) => orders.getOrder({ orderId: `p-${i}` })));
      const subjects = subscriptions();
      assert.equal(subjects.length, 1, JSON.stringify(subjects));
      assert.match(subjects[0]!, /^_INBOX\.[A-Za-z0-9]+\.\*$/);
      const inbox = subjects[0]!.slice(0, -1);
      assert.equal(replySubjects.length, 100);
      assert.ok(
        replySubjects.every((s) => s.startsWith(inbox)),
        'every reply goes to the one inbox',
      );
      assert.equal(new Set(replySubjects).size, 100, 'one token per request');
      await host.close();
      assert.equal(connection.isClosed(), false, 'a connection passed in is left open');
      await probe.close();
    } finally {
      await connection.close();
    }
  });

  it('answers UNSUPPORTED_MEDIA_TYPE for a body it cannot decode', async () => {
    const h = natsHeaders();
    h.set('content-type', 'text/plain');
    const msg = await raw.request(operationSubject(prefix, OrdersContract, 'getOrder'), 'hello', {
      timeout: 2000,
      headers: h,
    });
    assert.equal(msg.headers?.get('Nats-Service-Error-Code'), '415');
    assert.equal(msg.json<{ code: string }>().code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('reads errors of foreign micro services (headers only) as the nearest code', async () => {
    const foreignPrefix = uniqueName('sy-test-foreign');
    const foreign = await rawConnection();
    try {
      foreign.subscribe(operationSubject(foreignPrefix, OrdersContract, 'getOrder'), {
        callback: (_err, msg) => {
          const h = natsHeaders();
          h.set('Nats-Service-Error', 'too busy');
          h.set('Nats-Service-Error-Code', '429');
          msg.respond(new Uint8Array(0), { headers: h });
        },
      });
      await foreign.flush();
      const transport = natsTransport({ connection: raw, subjectPrefix: foreignPrefix });
      const error = await rejects(
        createHost({ transports: () => transport })
          .client(OrdersContract)
          .getOrder({ orderId: 'o' }),
        'RESOURCE_EXHAUSTED',
      );
      assert.equal(error.message, 'too busy');
    } finally {
      await foreign.close();
    }
  });

  it('fails calls made after close with UNAVAILABLE notSent', async () => {
    const transport = natsTransport({ servers: natsServers, subjectPrefix: prefix });
    const host = createHost({ transports: () => transport });
    const orders = host.client(OrdersContract);
    await orders.getOrder({ orderId: 'o' });
    await host.close();
    const error = await rejects(orders.getOrder({ orderId: 'o' }), 'UNAVAILABLE');
    assert.equal(error.details.notSent, true);
  });
});
