import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Type, contract, operation } from '../../contract/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { Context, createHost, type Host } from '../../runtime/index.js';
import { staticEndpoint } from '../endpoint.js';
import { OrdersContract } from '../../../test/fixtures/orders.contract.js';
import { ordersHost, sampleOrder } from '../../../test/rpc/grpc-support.js';
import { createGrpcServer, grpcTransport, type GrpcServer } from './index.js';

async function serve(host: Host): Promise<{ server: GrpcServer; client: Host }> {
  const server = createGrpcServer({ host });
  const { port } = await server.listen();
  const transport = grpcTransport({ endpoints: staticEndpoint(`127.0.0.1:${port}`) });
  return { server, client: createHost({ name: 'caller', transports: () => transport }) };
}

async function rejects(promise: Promise<unknown>, code: string): Promise<SwitchyardError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(SwitchyardError.is(error), `expected a SwitchyardError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe('gRPC transport: calls', () => {
  const seen: Context[] = [];
  let failWith: unknown;
  let server: GrpcServer;
  let client: Host;
  before(async () => {
    const host = ordersHost({
      getOrder: (input, ctx) => {
        seen.push(ctx);
        if (failWith !== undefined) throw failWith;
        return { ...sampleOrder, orderId: input.orderId };
      },
    });
    ({ server, client } = await serve(host));
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it('round-trips typed input and output through the contract protobuf', async () => {
    const orders = client.client(OrdersContract);
    const created = await orders.createOrder({
      consumerId: 'c-7',
      restaurantId: 'r-1',
      items: [{ menuItemId: 'm-2', quantity: 3 }],
    });
    assert.deepEqual(created, {
      ...sampleOrder,
      consumerId: 'c-7',
      items: [{ menuItemId: 'm-2', quantity: 3 }],
    });
    assert.deepEqual(await orders.getOrder({ orderId: 'o-42' }), { ...sampleOrder, orderId: 'o-42' });
  });

  it('carries ids, trace, attempt and free-form metadata in gRPC metadata', async () => {
    const parent = new Context({ correlationId: 'corr-1', metadata: { 'X-Caller': 'Zoë / ops' } });
    seen.length = 0;
    await client.client(OrdersContract).getOrder({ orderId: 'o-1' }, { parent });
    const ctx = seen[0]!;
    assert.equal(ctx.correlationId, 'corr-1');
    assert.equal(ctx.causationId, parent.id);
    assert.equal(ctx.trace.traceparent.split('-')[1], parent.trace.traceparent.split('-')[1]);
    // Keys arrive lower-cased (as over HTTP); a non-ASCII value travels as UTF-8 bytes.
    assert.deepEqual(ctx.metadata, { 'x-caller': 'Zoë / ops' });
    assert.notEqual(ctx.trace.traceparent, parent.trace.traceparent, 'the server runs a span of its own');
    assert.equal(ctx.attempt, 1);
    // A root call's correlation id is its own id, on both sides.
    seen.length = 0;
    await client.client(OrdersContract).getOrder({ orderId: 'o-1' });
    assert.equal(seen[0]!.correlationId, seen[0]!.id);
  });

  it('restores code, message, details and retryability from the error trailer', async () => {
    const cases = [
      new SwitchyardError('FAILED_PRECONDITION', 'card declined', {
        details: { violations: [{ path: '/card', rule: 'valid', message: 'declined' }], orderId: 'o-1' },
        retryable: true,
      }),
      new SwitchyardError('NOT_FOUND', 'no order o-1'),
      new SwitchyardError('ALREADY_EXISTS', 'duplicate'),
      new SwitchyardError('PERMISSION_DENIED', 'not yours'),
      // Shares gRPC status 14 with UNAVAILABLE: only the trailer tells them apart.
      new SwitchyardError('CIRCUIT_OPEN', 'downstream breaker open'),
      new SwitchyardError('RESOURCE_EXHAUSTED', 'slow down', { details: { retryAfterMs: 250 } }),
    ];
    try {
      for (const original of cases) {
        failWith = original;
        const error = await rejects(
          client.client(OrdersContract).getOrder({ orderId: 'o-1' }),
          original.code,
        );
        assert.equal(error.message, original.message);
        assert.deepEqual(error.details, original.details);
        assert.equal(error.retryable, original.retryable);
      }
      failWith = new Error('password=hunter2');
      const hidden = await rejects(client.client(OrdersContract).getOrder({ orderId: 'o-1' }), 'INTERNAL');
      assert.doesNotMatch(hidden.message, /hunter2/);
    } finally {
      failWith = undefined;
    }
  });

  it('answers input that fails the schema with INVALID_ARGUMENT and its violations', async () => {
    const { port } = await server.listen();
    const lax = createHost({
      validate: false,
      transports: () => grpcTransport({ endpoints: staticEndpoint(`127.0.0.1:${port}`) }),
    });
    const error = await rejects(
      lax.client(OrdersContract).createOrder({ consumerId: '', restaurantId: 'r', items: [] }),
      'INVALID_ARGUMENT',
    );
    const paths = error.details.violations?.map((v) => v.path).sort();
    assert.deepEqual(paths, ['/consumerId', '/items']);
    await lax.close();
  });
});

describe('gRPC transport: deadlines and cancellation', () => {
  let delayMs = 0;
  let remaining: number | undefined;
  let aborted: Promise<void> | undefined;
  let server: GrpcServer;
  let client: Host;
  before(async () => {
    const host = ordersHost({
      getOrder: async (input, ctx) => {
        remaining = ctx.remainingMs();
        const signal = ctx.signal;
        aborted = new Promise((resolve) => signal.addEventListener('abort', () => resolve()));
        if (delayMs > 0) await sleep(delayMs, undefined, { signal }).catch(() => undefined);
        return { ...sampleOrder, orderId: input.orderId };
      },
    });
    ({ server, client } = await serve(host));
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it('sends the deadline as grpc-timeout: the server sees what is left of it', async () => {
    delayMs = 0;
    await client.client(OrdersContract).getOrder({ orderId: 'o-1' }, { timeoutMs: 300 });
    assert.ok(remaining !== undefined && remaining > 0 && remaining <= 300, `remaining ${remaining}`);
  });

  it('fails a slow call with DEADLINE_EXCEEDED and aborts the handler', async () => {
    delayMs = 2000;
    const started = Date.now();
    await rejects(
      client.client(OrdersContract).getOrder({ orderId: 'o-1' }, { timeoutMs: 200 }),
      'DEADLINE_EXCEEDED',
    );
    assert.ok(Date.now() - started < 1500);
    await aborted;
  });

  it('cancels the server call when the caller aborts', async () => {
    delayMs = 5000;
    aborted = undefined;
    const controller = new AbortController();
    const call = client.client(OrdersContract).getOrder({ orderId: 'o-1' }, { signal: controller.signal });
    while (aborted === undefined) await sleep(5);
    const handlerAborted = aborted;
    setTimeout(() => controller.abort(), 50);
    await rejects(call, 'CANCELLED');
    await handlerAborted;
  });
});

describe('gRPC transport: versions', () => {
  it('serves v1 and v2 of a contract side by side, each in its own protobuf package', async () => {
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
    assert.notEqual(V1.protoPackage, V2.protoPackage);
    const host = createHost();
    host.implement(V1, { echo: ({ text }) => ({ text }) });
    host.implement(V2, { echo: ({ text }) => ({ message: text }) });
    const { server, client } = await serve(host);
    try {
      assert.deepEqual(await client.client(V1).echo({ text: 'a' }), { text: 'a' });
      assert.deepEqual(await client.client(V2).echo({ text: 'b' }), { message: 'b' });
    } finally {
      await client.close();
      await server.close();
    }
  });
});
