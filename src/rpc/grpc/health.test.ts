import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { OrdersContract } from '../../../test/fixtures/orders.contract.js';
import { ordersHost, plainClient, reflectedService, sampleOrder } from '../../../test/rpc/grpc-support.js';
import { createHost } from '../../runtime/index.js';
import { staticEndpoint } from '../endpoint.js';
import { createGrpcServer, grpcServiceName, grpcTransport, healthServiceName } from './index.js';

const SERVING = 1;
const NOT_SERVING = 2;

describe('gRPC health service and graceful close', () => {
  it('reports SERVING for the server and each service, NOT_FOUND for others, NOT_SERVING while draining', async () => {
    const server = createGrpcServer({ host: ordersHost() });
    const { port } = await server.listen();
    const health = await reflectedService(port, healthServiceName);
    const watcher = plainClient(port);
    try {
      const check = async (service: string) => (await health.call('Check', { service })).response?.status;
      assert.equal(await check(''), SERVING);
      assert.equal(await check(grpcServiceName(OrdersContract)), SERVING);
      const unknown = await health.call('Check', { service: 'nope.v1.Nope' });
      assert.equal(unknown.error?.code, 5);
      // protobufjs's Root.fromDescriptor reads a map as its repeated entries.
      const listed = (await health.call('List', {})).response?.statuses as { key: string }[];
      assert.deepEqual(listed.map((entry) => entry.key).sort(), ['', 'switchyard.orders.v1.Orders']);

      // A watch hears the change; a check made during the drain delay reads it.
      const request = health.service.methods.Watch!.resolvedRequestType!;
      const response = health.service.methods.Watch!.resolvedResponseType!;
      const statuses: number[] = [];
      const stream = watcher.makeServerStreamRequest(
        `/${healthServiceName}/Watch`,
        (value: Record<string, unknown>) => Buffer.from(request.encode(request.fromObject(value)).finish()),
        (bytes: Buffer) => (response.decode(bytes) as unknown as { status: number }).status,
        { service: '' },
      );
      stream.on('data', (status: number) => statuses.push(status));
      const ended = new Promise((resolve) => stream.on('status', resolve));
      while (statuses.length === 0) await sleep(5);
      const closed = server.close({ drainDelayMs: 300, graceMs: 1000 });
      await sleep(100);
      assert.equal(await check(''), NOT_SERVING);
      assert.equal(await check(grpcServiceName(OrdersContract)), NOT_SERVING);
      await closed;
      await ended;
      assert.deepEqual(statuses, [SERVING, NOT_SERVING]);
    } finally {
      health.close();
      watcher.close();
      await server.close();
    }
  });

  it('lets calls in flight finish within the grace period and cancels them after it', async () => {
    let handlerAborted = false;
    const host = ordersHost({
      getOrder: async ({ orderId }, ctx) => {
        const signal = ctx.signal;
        signal.addEventListener('abort', () => (handlerAborted = true));
        await sleep(orderId === 'slow' ? 150 : 5000, undefined, { signal }).catch(() => undefined);
        return { ...sampleOrder, orderId };
      },
    });
    for (const [orderId, graceMs] of [
      ['slow', 2000],
      ['stuck', 200],
    ] as const) {
      handlerAborted = false;
      const server = createGrpcServer({ host });
      const { port } = await server.listen();
      const transport = grpcTransport({ endpoints: staticEndpoint(`127.0.0.1:${port}`) });
      const client = createHost({ transports: () => transport });
      const call = client.client(OrdersContract).getOrder({ orderId });
      const settled = call.then(
        (order) => order.orderId,
        (error: { code: string }) => error.code,
      );
      await sleep(50);
      const started = Date.now();
      await server.close({ graceMs });
      if (orderId === 'slow') {
        assert.equal(await settled, 'slow');
        assert.equal(handlerAborted, false);
      } else {
        assert.ok(Date.now() - started < 1500);
        assert.equal(await settled, 'UNAVAILABLE');
        while (!handlerAborted) await sleep(5);
      }
      await client.close();
    }
  });
});
