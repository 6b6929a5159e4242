import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../errors/index.js';
import { createHost, type Context, type Implementation } from '../runtime/index.js';
import { OrdersContract } from '../../test/fixtures/orders.contract.js';
import { resilienceInterceptor, type PolicyOptions, type ResilienceConfig } from './interceptor.js';

const order = {
  orderId: 'o-1',
  consumerId: 'c-1',
  state: 'PENDING' as const,
  items: [{ menuItemId: 'm-1', quantity: 1 }],
  total: { amount: 100, currency: 'EUR' },
  tags: {},
};
const newOrder = { consumerId: 'c-1', restaurantId: 'r-1', items: [{ menuItemId: 'm-1', quantity: 1 }] };

const breakerOptions = {
  window: { type: 'count', size: 10 },
  failureRateThreshold: 50,
  minimumCalls: 2,
  openDurationMs: 60_000,
  halfOpen: { permittedCalls: 1, maxWaitMs: 1000 },
} as const;
const retryNow = { maxAttempts: 3, backoff: { initialMs: 0, maxMs: 0, multiplier: 1 } };

/** A host serving orders in-process, whose handlers fail with the queued errors, then succeed. */
function setup(
  config: ResilienceConfig,
  failures: Partial<Record<'getOrder' | 'createOrder' | 'cancelOrder', unknown[]>> = {},
) {
  const resilience = resilienceInterceptor(config);
  const host = createHost({ interceptors: [resilience] });
  const seen: Record<string, Context[]> = { getOrder: [], createOrder: [], cancelOrder: [] };
  const step = (operation: keyof typeof seen, ctx: Context) => {
    seen[operation]!.push(ctx);
    const error = failures[operation as keyof typeof failures]?.shift();
    if (error) throw error;
  };
  const implementation: Implementation<typeof OrdersContract> = {
    getOrder: (input, ctx) => (step('getOrder', ctx), { ...order, orderId: input.orderId }),
    createOrder: (_input, ctx) => (step('createOrder', ctx), order),
    cancelOrder: (input, ctx) => (step('cancelOrder', ctx), { orderId: input.orderId, state: 'CANCELLED' }),
  };
  host.implement(OrdersContract, implementation);
  return { resilience, host, seen, orders: host.client(OrdersContract) };
}

const unavailable = (details = {}) => new SwitchyardError('UNAVAILABLE', 'down', { details });
const times = <T>(n: number, make: () => T) => Array.from({ length: n }, make);

describe('resilience interceptor', () => {
  it('shares one breaker per service operation across calls and clients', async () => {
    const { resilience, host, seen } = setup(
      { default: { circuitBreaker: breakerOptions } },
      { getOrder: times(5, unavailable) },
    );
    const changes: unknown[] = [];
    const first = host.client(OrdersContract);
    await first.getOrder({ orderId: 'a' }).catch(() => {});
    resilience.events.onStateChange((e) => changes.push(e)); // subscribing after the breaker exists still works
    await host
      .client(OrdersContract)
      .getOrder({ orderId: 'b' })
      .catch(() => {});
    await assert.rejects(first.getOrder({ orderId: 'c' }), (e) => SwitchyardError.is(e, 'CIRCUIT_OPEN'));
    assert.equal(seen.getOrder!.length, 2);
    assert.equal(resilience.policies(OrdersContract, 'getOrder')?.circuitBreaker?.state, 'open');
    assert.deepEqual(changes, [
      { from: 'closed', to: 'open', reason: 'failure-rate', service: 'orders@v1', operation: 'getOrder' },
    ]);
    assert.equal(await first.cancelOrder({ orderId: 'x' }).then((r) => r.state), 'CANCELLED'); // its own breaker
  });

  it('retries an idempotent operation as the same request, numbering the attempts', async () => {
    const { orders, seen } = setup({ default: { retry: retryNow } }, { getOrder: [unavailable()] });
    assert.equal((await orders.getOrder({ orderId: 'a' })).orderId, 'a');
    const [one, two] = seen.getOrder!;
    assert.deepEqual([one?.attempt, two?.attempt], [1, 2]);
    assert.equal(one?.id, two?.id);
    assert.equal(one?.trace.traceparent, two?.trace.traceparent);
  });

  it('retries a non-idempotent operation only when the request provably was not sent', async () => {
    const notRetried = setup({ default: { retry: retryNow } }, { createOrder: [unavailable()] });
    await assert.rejects(notRetried.orders.createOrder(newOrder), (e) =>
      SwitchyardError.is(e, 'UNAVAILABLE'),
    );
    assert.equal(notRetried.seen.createOrder!.length, 1);

    const retried = setup(
      { default: { retry: retryNow } },
      { createOrder: [unavailable({ notSent: true })] },
    );
    assert.equal((await retried.orders.createOrder(newOrder)).orderId, 'o-1');
    assert.equal(retried.seen.createOrder!.length, 2);
  });

  it('bounds each attempt by the call’s deadline and stops retrying before it', async () => {
    const config: PolicyOptions = {
      timeoutMs: 60_000,
      retry: { maxAttempts: 5, backoff: { initialMs: 1000, maxMs: 1000, multiplier: 1 }, random: () => 1 },
    };
    const { resilience, orders, seen } = setup({ default: config }, { getOrder: times(5, unavailable) });
    const giveUps: string[] = [];
    resilience.events.onGiveUp((e) => giveUps.push(e.reason));
    const deadline = Date.now() + 200;
    await assert.rejects(orders.getOrder({ orderId: 'a' }, { deadline }), (e) =>
      SwitchyardError.is(e, 'UNAVAILABLE'),
    );
    assert.equal(seen.getOrder!.length, 1);
    assert.ok(seen.getOrder![0]!.deadline! <= deadline);
    assert.deepEqual(giveUps, ['deadline']);
  });

  it('shares one retry budget among the operations of a service', async () => {
    const { orders, seen } = setup(
      { default: { retry: { ...retryNow, maxAttempts: 2 } }, retryBudget: { maxTokens: 4, tokenRatio: 0.1 } },
      { getOrder: times(2, unavailable), cancelOrder: times(2, unavailable) },
    );
    await orders.getOrder({ orderId: 'a' }).catch(() => {}); // two failures: 4 → 2
    await orders.cancelOrder({ orderId: 'a' }).catch(() => {}); // 2 → 1: throttled
    assert.deepEqual([seen.getOrder!.length, seen.cancelOrder!.length], [2, 1]);
  });

  it('applies per-operation settings over the default, and `false` switches a policy off', async () => {
    const { resilience, orders } = setup(
      {
        default: { circuitBreaker: breakerOptions, timeoutMs: 1000 },
        operations: {
          'orders.getOrder': { fallback: { kind: 'value', value: order } },
          'orders.cancelOrder': { circuitBreaker: false, timeoutMs: false },
        },
      },
      { getOrder: [unavailable()] },
    );
    assert.equal((await orders.getOrder({ orderId: 'zzz' })).orderId, 'o-1'); // the fallback's order
    await orders.cancelOrder({ orderId: 'a' });
    const cancel = resilience.policies(OrdersContract, 'cancelOrder');
    assert.equal(cancel, undefined);
    const get = resilience.policies(OrdersContract, 'getOrder');
    assert.ok(get?.fallback && get.circuitBreaker && get.timeout);
    assert.equal(get.retry, undefined);
  });

  it('lets calls through untouched when nothing is configured', async () => {
    const { resilience, orders, seen } = setup({});
    await orders.getOrder({ orderId: 'a' });
    assert.equal(resilience.policies(OrdersContract, 'getOrder'), undefined);
    assert.equal(seen.getOrder![0]!.attempt, 1);
  });
});

describe('retry attempts keep the identity of their call', () => {
  it('does not make a root call its own cause', async () => {
    const { Type, contract, operation } = await import('../contract/index.js');
    const { createHost } = await import('../runtime/index.js');
    const { SwitchyardError } = await import('../errors/index.js');
    const C = contract({
      name: 'attempts',
      version: '1.0.0',
      operations: { get: operation({ input: Type.Object({}), output: Type.Object({}), idempotent: true }) },
    });
    const seen: { id: string; causationId: string | undefined; attempt: number }[] = [];
    const host = createHost({
      interceptors: [
        resilienceInterceptor({
          default: { retry: { maxAttempts: 2, backoff: { initialMs: 1, maxMs: 1, multiplier: 1 } } },
        }),
      ],
    });
    host.implement(C, {
      get: (_input, ctx) => {
        seen.push({ id: ctx.id, causationId: ctx.causationId, attempt: ctx.attempt });
        if (seen.length === 1) throw new SwitchyardError('UNAVAILABLE', 'once');
        return {};
      },
    });
    await host.client(C).get({});
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.id, seen[1]!.id);
    for (const s of seen) assert.equal(s.causationId, undefined);
    assert.deepEqual(
      seen.map((s) => s.attempt),
      [1, 2],
    );
  });
});
