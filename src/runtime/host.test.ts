import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Type, contract, operation } from '../contract/index.js';
import { SwitchyardError } from '../errors/index.js';
import { OrdersContract } from '../../test/fixtures/orders.contract.js';
import { ordersImpl, rejectsWith, sampleOrder } from '../../test/fixtures/orders.impl.js';
import { Context, createHost } from './index.js';

const rejects = rejectsWith;

describe('in-process host', () => {
  it('calls a local service as a function call with typed input and output', async () => {
    const host = createHost();
    host.implement(OrdersContract, ordersImpl());
    const orders = host.client(OrdersContract);
    const order = await orders.getOrder({ orderId: 'o-9' });
    assert.equal(order.orderId, 'o-9');
    assert.equal(order.total.currency, 'EUR');
  });

  it('passes objects by reference locally: no serialization', async () => {
    const host = createHost({ validate: false });
    let seen: unknown;
    host.implement(OrdersContract, ordersImpl({ getOrder: (input) => ((seen = input), { ...sampleOrder }) }));
    const input = { orderId: 'same' };
    await host.client(OrdersContract).getOrder(input);
    assert.equal(seen, input);
  });

  it('rejects invalid input with INVALID_ARGUMENT naming each path and rule', async () => {
    const host = createHost();
    host.implement(OrdersContract, ordersImpl());
    const error = await rejects(
      host.client(OrdersContract).createOrder({
        consumerId: '',
        restaurantId: 'r',
        items: [{ menuItemId: 'm', quantity: 0 }],
      }),
      'INVALID_ARGUMENT',
    );
    const violations = error.details.violations ?? [];
    assert.ok(
      violations.some((v) => v.path === '/consumerId' && v.rule === 'minLength'),
      JSON.stringify(violations),
    );
    assert.ok(
      violations.some((v) => v.path === '/items/0/quantity' && v.rule === 'minimum'),
      JSON.stringify(violations),
    );
  });

  it('reports a missing required field as rule "required"', async () => {
    const host = createHost();
    host.implement(OrdersContract, ordersImpl());
    const error = await rejects(
      host.client(OrdersContract).getOrder({} as { orderId: string }),
      'INVALID_ARGUMENT',
    );
    assert.ok(error.details.violations?.some((v) => v.rule === 'required' || v.path === '/orderId'));
  });

  it('turns an invalid handler output into INTERNAL with the failing paths, without crashing the host', async () => {
    const host = createHost();
    host.implement(
      OrdersContract,
      ordersImpl({ getOrder: () => ({ ...sampleOrder, total: { amount: -1, currency: 'EUR' } }) }),
    );
    const error = await rejects(host.client(OrdersContract).getOrder({ orderId: 'x' }), 'INTERNAL');
    assert.ok(error.details.violations?.some((v) => v.path === '/total/amount'));
    assert.equal((await host.client(OrdersContract).cancelOrder({ orderId: 'x' })).state, 'CANCELLED');
  });

  it('fills declared defaults of omitted optional request fields', async () => {
    const host = createHost();
    let priority: boolean | undefined;
    host.implement(
      OrdersContract,
      ordersImpl({ createOrder: (input) => ((priority = input.priority), { ...sampleOrder }) }),
    );
    await host
      .client(OrdersContract)
      .createOrder({ consumerId: 'c', restaurantId: 'r', items: [{ menuItemId: 'm', quantity: 1 }] });
    assert.equal(priority, false);
  });

  it('tolerant reader: a response with fields the contract does not know is accepted', async () => {
    const host = createHost();
    host.implement(
      OrdersContract,
      ordersImpl({ getOrder: () => ({ ...sampleOrder, addedInV2: 'x' }) as typeof sampleOrder }),
    );
    const order = await host.client(OrdersContract).getOrder({ orderId: 'o' });
    assert.equal(order.orderId, 'o-1');
  });

  it('maps unknown handler errors to INTERNAL and keeps SwitchyardErrors as they are', async () => {
    const host = createHost();
    host.implement(
      OrdersContract,
      ordersImpl({
        getOrder: () => {
          throw new SwitchyardError('NOT_FOUND', 'no such order', { details: { orderId: 'o' } });
        },
        cancelOrder: async () => {
          throw new TypeError('secret internals');
        },
      }),
    );
    const notFound = await rejects(host.client(OrdersContract).getOrder({ orderId: 'o' }), 'NOT_FOUND');
    assert.equal(notFound.details.orderId, 'o');
    const internal = await rejects(host.client(OrdersContract).cancelOrder({ orderId: 'o' }), 'INTERNAL');
    assert.doesNotMatch(internal.message, /secret/);
  });

  it('fails fast with DEADLINE_EXCEEDED when the deadline is already spent, without calling', async () => {
    const host = createHost();
    let called = false;
    host.implement(OrdersContract, ordersImpl({ getOrder: () => ((called = true), { ...sampleOrder }) }));
    await rejects(
      host.client(OrdersContract).getOrder({ orderId: 'o' }, { deadline: Date.now() - 1 }),
      'DEADLINE_EXCEEDED',
    );
    assert.equal(called, false);
  });

  it('abandons a slow call at its timeout and aborts the handler signal', async () => {
    const host = createHost();
    let aborted = false;
    host.implement(
      OrdersContract,
      ordersImpl({
        getOrder: async (_input, ctx) => {
          ctx.signal.addEventListener('abort', () => (aborted = true));
          await sleep(200);
          return { ...sampleOrder };
        },
      }),
    );
    await rejects(
      host.client(OrdersContract).getOrder({ orderId: 'o' }, { timeoutMs: 20 }),
      'DEADLINE_EXCEEDED',
    );
    // The handler's signal has its own timer: under load it may fire a moment after the caller's.
    for (let waited = 0; !aborted && waited < 2_000; waited += 10) await sleep(10);
    assert.equal(aborted, true);
  });

  it('rejects calls to services that are neither local nor reachable with UNAVAILABLE', async () => {
    const host = createHost();
    await rejects(host.client(OrdersContract).getOrder({ orderId: 'o' }), 'UNAVAILABLE');
  });

  it('refuses an implementation missing an operation', () => {
    const host = createHost();
    assert.throws(
      () => host.implement(OrdersContract, { getOrder: () => sampleOrder } as never),
      /no handler for operation createOrder/,
    );
  });

  it('serves v1 and v2 of one contract side by side', async () => {
    const v = (version: string, field: string) =>
      contract({
        name: 'echo',
        version,
        operations: {
          echo: operation({
            input: Type.Object({ text: Type.String() }),
            output: Type.Object({ [field]: Type.String() }),
          }),
        },
      });
    const V1 = v('1.0.0', 'text');
    const V2 = v('2.0.0', 'message');
    const host = createHost();
    host.implement(V1, { echo: ({ text }) => ({ text }) });
    host.implement(V2, { echo: ({ text }) => ({ message: text }) });
    assert.deepEqual(await host.client(V1).echo({ text: 'a' }), { text: 'a' });
    assert.deepEqual(await host.client(V2).echo({ text: 'b' }), { message: 'b' });
  });
});

describe('context inheritance in-process', () => {
  const Step = (name: string) =>
    contract({
      name,
      version: '1.0.0',
      operations: {
        run: operation({
          input: Type.Object({}),
          output: Type.Object({
            correlationId: Type.String(),
            traceId: Type.String(),
            deadline: Type.Union([Type.Number(), Type.Null()]),
            causationId: Type.Union([Type.String(), Type.Null()]),
          }),
        }),
      },
    });

  it('carries deadline, correlation id, causation and trace through three services', async () => {
    const Report = Type.Object({
      correlationId: Type.String(),
      traceId: Type.String(),
      deadline: Type.Number(),
      causationId: Type.String(),
      callerId: Type.String(),
    });
    const hop = (name: string) =>
      contract({
        name,
        version: '1.0.0',
        operations: {
          run: operation({ input: Type.Object({}), output: Type.Object({ reports: Type.Array(Report) }) }),
        },
      });
    const A = hop('a');
    const B = hop('b');
    const C = hop('c');
    const host = createHost();
    const report = (ctx: Context) => ({
      correlationId: ctx.correlationId,
      traceId: ctx.trace.traceparent.split('-')[1]!,
      deadline: ctx.deadline ?? -1,
      causationId: ctx.causationId ?? '',
      callerId: ctx.id,
    });
    host.implement(A, {
      run: async (_i, ctx) => ({ reports: [report(ctx), ...(await ctx.client(B).run({})).reports] }),
    });
    host.implement(B, {
      run: async (_i, ctx) => ({
        reports: [report(ctx), ...(await ctx.client(C).run({}, { timeoutMs: 60_000 })).reports],
      }),
    });
    host.implement(C, { run: (_i, ctx) => ({ reports: [report(ctx)] }) });

    const root = new Context({ correlationId: 'corr-1', timeoutMs: 5_000 });
    const { reports } = await host.client(A).run({}, { parent: root });
    assert.equal(reports.length, 3);
    const [a, b, c] = reports as [typeof Report.static, typeof Report.static, typeof Report.static];
    for (const r of reports) {
      assert.equal(r.correlationId, 'corr-1');
      assert.equal(r.traceId, root.trace.traceparent.split('-')[1]);
      // C asked for 60 s but may not outlive the 5 s its caller had.
      assert.equal(r.deadline, root.deadline);
    }
    assert.equal(b.causationId, a.callerId);
    assert.equal(c.causationId, b.callerId);
  });

  it('leaves an unconstrained call without a deadline and gives it a fresh correlation id', async () => {
    const S = Step('s');
    const host = createHost();
    host.implement(S, {
      run: (_i, ctx) => ({
        correlationId: ctx.correlationId,
        traceId: ctx.trace.traceparent,
        deadline: ctx.deadline ?? null,
        causationId: ctx.causationId ?? null,
      }),
    });
    const first = await host.client(S).run({});
    const second = await host.client(S).run({});
    assert.equal(first.deadline, null);
    assert.notEqual(first.correlationId, second.correlationId);
  });
});

describe('context cancellation', () => {
  it('creates no signal machinery for a plain call and shares one never-aborting signal', () => {
    const a = new Context();
    const b = new Context({ parent: a });
    assert.equal(a.cancellable, false);
    assert.equal(b.cancellable, false);
    assert.equal(a.signal, b.signal);
    assert.equal(a.signal.aborted, false);
  });

  it('cancel() aborts the context and its children, before or after the signal is read', () => {
    const early = new Context({ cancelable: true });
    early.cancel('gone');
    assert.equal(early.signal.aborted, true);
    assert.throws(
      () => early.throwIfDone(),
      (e: unknown) => SwitchyardError.is(e, 'CANCELLED'),
    );

    const server = new Context({ cancelable: true });
    const child = server.child({ timeoutMs: 60_000 });
    assert.equal(child.cancellable, true);
    const signal = child.signal;
    server.cancel();
    assert.equal(signal.aborted, true);
  });

  it('refuses cancel() on a context not created cancelable', () => {
    assert.throws(() => new Context().cancel(), /not created cancelable/);
  });
});
