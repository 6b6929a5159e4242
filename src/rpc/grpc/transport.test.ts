import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchyardError } from '../../errors/index.js';
import { createHost } from '../../runtime/index.js';
import { OrdersContract } from '../../../test/fixtures/orders.contract.js';
import { ordersHost, sampleOrder } from '../../../test/rpc/grpc-support.js';
import type { Endpoint, EndpointPicker, Outcome } from '../endpoint.js';
import { createGrpcServer, errorTrailer, grpcMethodPath, grpcTransport } from './index.js';

function recording(address: string, options: { async?: boolean } = {}) {
  const outcomes: Outcome[] = [];
  const endpoint: Endpoint = { address };
  const picker: EndpointPicker = {
    pick: () => (options.async ? Promise.resolve(endpoint) : endpoint),
    done: (picked, outcome) => {
      assert.equal(picked, endpoint);
      outcomes.push(outcome);
    },
  };
  return { picker, outcomes };
}

async function failure(promise: Promise<unknown>): Promise<SwitchyardError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(SwitchyardError.is(error), String(error));
    return error;
  }
  assert.fail('expected the call to fail');
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('gRPC transport: endpoints and failures', () => {
  it('reports each outcome to the endpoint picker, picked synchronously or not', async () => {
    const server = createGrpcServer({
      host: ordersHost({
        getOrder: ({ orderId }) => {
          if (orderId === 'missing') throw new SwitchyardError('NOT_FOUND', 'no such order');
          return { ...sampleOrder, orderId };
        },
      }),
    });
    const { port } = await server.listen();
    const { picker, outcomes } = recording(`127.0.0.1:${port}`, { async: true });
    const transport = grpcTransport({ endpoints: picker });
    const client = createHost({ transports: () => transport }).client(OrdersContract);
    try {
      assert.equal((await client.getOrder({ orderId: 'o-1' })).orderId, 'o-1');
      await failure(client.getOrder({ orderId: 'missing' }));
      assert.equal(outcomes.length, 2);
      assert.equal(outcomes[0]!.ok, true);
      assert.ok(outcomes[0]!.latencyMs >= 0);
      assert.deepEqual({ ...outcomes[1], latencyMs: 0 }, { ok: false, callerFault: true, latencyMs: 0 });
    } finally {
      await transport.close?.();
      await server.close();
    }
  });

  it('marks a refused connection UNAVAILABLE with notSent: the request never left', async () => {
    const { picker, outcomes } = recording(`127.0.0.1:${await freePort()}`);
    const transport = grpcTransport({ endpoints: picker });
    const client = createHost({ transports: () => transport }).client(OrdersContract);
    try {
      const error = await failure(client.getOrder({ orderId: 'o-1' }));
      assert.equal(error.code, 'UNAVAILABLE');
      assert.equal(error.details.notSent, true);
      assert.deepEqual(
        outcomes.map((o) => o.ok),
        [false],
      );
      assert.equal(outcomes[0]!.callerFault, undefined);
    } finally {
      await transport.close?.();
    }
  });

  it('does not mark notSent when the connection drops while the server runs the call', async () => {
    let reached!: () => void;
    const inHandler = new Promise<void>((resolve) => (reached = resolve));
    const server = createGrpcServer({
      host: ordersHost({
        getOrder: async ({ orderId }) => {
          reached();
          await sleep(2000);
          return { ...sampleOrder, orderId };
        },
      }),
    });
    const { port } = await server.listen();
    // A TCP hop we can cut: the call reaches the server, then the connection dies under it.
    const sockets = new Set<Socket>();
    const proxy = createServer((inbound) => {
      const outbound = connect(port, '127.0.0.1');
      inbound.pipe(outbound).pipe(inbound);
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('error', () => undefined);
      }
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port: proxyPort } = proxy.address() as { port: number };
    const transport = grpcTransport({ endpoints: recording(`127.0.0.1:${proxyPort}`).picker });
    const client = createHost({ transports: () => transport }).client(OrdersContract);
    try {
      const call = failure(client.getOrder({ orderId: 'o-1' }));
      await inHandler;
      for (const s of sockets) s.destroy();
      const error = await call;
      assert.equal(error.code, 'UNAVAILABLE');
      assert.equal(error.details.notSent, undefined);
    } finally {
      await transport.close?.();
      proxy.close();
      await server.close({ graceMs: 0 });
    }
  });

  it('reads the status of servers that send no trailer, and distrusts a trailer the status contradicts', async () => {
    const path = grpcMethodPath(OrdersContract, 'getOrder');
    const identity = (b: Buffer) => b;
    const foreign = new grpc.Server();
    let trailer: grpc.Metadata | undefined;
    foreign.addService(
      {
        GetOrder: {
          path,
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      {
        GetOrder: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) =>
          trailer
            ? callback({ code: grpc.status.UNAVAILABLE, details: 'proxy says no', metadata: trailer })
            : callback({ code: grpc.status.NOT_FOUND, details: 'nothing here' }),
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      foreign.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    const transport = grpcTransport({ endpoints: recording(`127.0.0.1:${port}`).picker });
    const client = createHost({ transports: () => transport }).client(OrdersContract);
    try {
      const plain = await failure(client.getOrder({ orderId: 'o-1' }));
      assert.deepEqual([plain.code, plain.message], ['NOT_FOUND', 'nothing here']);
      trailer = new grpc.Metadata();
      trailer.set(errorTrailer, Buffer.from(JSON.stringify({ code: 'NOT_FOUND', message: 'stale' })));
      const contradicted = await failure(client.getOrder({ orderId: 'o-1' }));
      assert.deepEqual([contradicted.code, contradicted.message], ['UNAVAILABLE', 'proxy says no']);
    } finally {
      await transport.close?.();
      foreign.forceShutdown();
    }
  });

  it('keeps a huge error within metadata limits, still with its code', async () => {
    const violations = Array.from({ length: 500 }, (_, i) => ({
      path: `/items/${i}/quantity`,
      rule: 'maximum',
      message: 'Expected number to be less or equal to 100',
    }));
    const server = createGrpcServer({
      host: ordersHost({
        getOrder: () => {
          throw new SwitchyardError('FAILED_PRECONDITION', 'too many problems', { details: { violations } });
        },
      }),
    });
    const { port } = await server.listen();
    const transport = grpcTransport({ endpoints: recording(`127.0.0.1:${port}`).picker });
    const client = createHost({ transports: () => transport }).client(OrdersContract);
    try {
      const error = await failure(client.getOrder({ orderId: 'o-1' }));
      assert.equal(error.code, 'FAILED_PRECONDITION');
      assert.equal(error.details.truncated, true);
      assert.deepEqual(error.details.violations, violations.slice(0, 10));
    } finally {
      await transport.close?.();
      await server.close();
    }
  });

  it('refuses a request over maxReceiveMessageLength with RESOURCE_EXHAUSTED and keeps serving', async () => {
    const server = createGrpcServer({ host: ordersHost(), maxReceiveMessageLength: 1024 });
    const { port } = await server.listen();
    const transport = grpcTransport({ endpoints: recording(`127.0.0.1:${port}`).picker });
    const client = createHost({ transports: () => transport }).client(OrdersContract);
    try {
      const error = await failure(client.getOrder({ orderId: 'x'.repeat(2048) }));
      assert.equal(error.code, 'RESOURCE_EXHAUSTED');
      assert.equal((await client.getOrder({ orderId: 'o-1' })).orderId, 'o-1');
    } finally {
      await transport.close?.();
      await server.close();
    }
  });
});
