import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import type { HealthState } from '../types.js';
import { decodeStatus, encodeRequest } from './grpc-probe.js';
import type { Transition } from './health-checker.js';
import { createProber } from './probes.js';
import { createRegistry } from './registry.js';
import { createSqliteBackend } from './sqlite.js';

async function listen(server: Server | import('node:net').Server): Promise<number> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as AddressInfo).port;
}

async function until(read: () => Promise<HealthState | undefined>, want: HealthState, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  let last: HealthState | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (last === want) return;
    await sleep(50);
  }
  assert.fail(`health stayed ${last}, wanted ${want}`);
}

/** A registry in memory that records its health transitions. */
async function recordingRegistry() {
  const transitions: Transition[] = [];
  const registry = await createRegistry({
    backend: createSqliteBackend({ path: ':memory:' }),
    onTransition: (t) => transitions.push(t),
  });
  return { registry, transitions };
}

describe('active health checks', () => {
  const prober = createProber();
  after(() => prober.close());

  it('flips an instance to critical when its HTTP health endpoint fails, and back', async () => {
    let status = 200;
    const server = createServer((_req, res) => res.writeHead(status).end());
    const port = await listen(server);
    const { registry, transitions } = await recordingRegistry();
    try {
      const instance = await registry.register({
        id: 'orders-1',
        service: 'orders',
        version: '1.0.0',
        endpoints: { http: `127.0.0.1:${port}` },
        check: { type: 'http', url: `http://127.0.0.1:${port}/health`, intervalSeconds: 0.1 },
      });
      assert.equal(instance.health, 'passing');
      const health = async () => (await registry.instances('orders'))[0]?.health;
      status = 500;
      await until(health, 'critical');
      assert.deepEqual((await registry.service('orders')).instances, [], 'critical instances are not served');
      status = 429;
      await until(health, 'warning');
      assert.deepEqual((await registry.service('orders')).instances, [], 'warning instances are not served');
      status = 204;
      await until(health, 'passing');
      assert.equal((await registry.service('orders')).instances.length, 1);
      server.close();
      server.closeAllConnections();
      await until(health, 'critical');
      assert.deepEqual(
        transitions.map((t) => `${t.from}>${t.to}`),
        ['passing>critical', 'critical>warning', 'warning>passing', 'passing>critical'],
      );
    } finally {
      await registry.close();
      server.close();
    }
  });

  it('changes state only after the results in a row a check asks for (flap damping)', async () => {
    // One answer per check, in order; the first is the check before the registration is stored.
    const script = [200, 500, 200, 500, 500, 200, 500, 200, 200];
    let checks = 0;
    const server = createServer((_req, res) => res.writeHead(script[checks++] ?? 200).end());
    const port = await listen(server);
    const { registry, transitions } = await recordingRegistry();
    try {
      await registry.register({
        id: 'orders-1',
        service: 'orders',
        version: '1.0.0',
        endpoints: { http: `127.0.0.1:${port}` },
        check: {
          type: 'http',
          url: `http://127.0.0.1:${port}/health`,
          intervalSeconds: 0.05,
          failuresBeforeCritical: 2,
          successesBeforePassing: 2,
        },
      });
      const deadline = Date.now() + 5_000;
      while (checks < script.length + 1) {
        assert.ok(Date.now() < deadline, `only ${checks} checks ran`);
        await sleep(20);
      }
      // A lone failure and a lone success between failures change nothing; two in a row do.
      assert.deepEqual(
        transitions.map((t) => `${t.from}>${t.to}`),
        ['passing>critical', 'critical>passing'],
      );
      assert.equal((await registry.instances('orders'))[0]?.health, 'passing');
    } finally {
      await registry.close();
      server.close();
    }
  });

  it('refuses a streak that is not a whole number from 1 to 100', async () => {
    const registry = await createRegistry({ backend: createSqliteBackend({ path: ':memory:' }) });
    try {
      for (const failuresBeforeCritical of [0, 1.5, 101])
        await assert.rejects(
          registry.register({
            id: 'o',
            service: 'orders',
            version: '1.0.0',
            endpoints: { http: '127.0.0.1:9' },
            check: { type: 'http', url: 'http://127.0.0.1:9/health', failuresBeforeCritical },
          }),
          (error: { code?: string }) => error.code === 'INVALID_ARGUMENT',
        );
    } finally {
      await registry.close();
    }
  });

  it('starts an instance whose check fails as critical (fail closed)', async () => {
    const registry = await createRegistry({ backend: createSqliteBackend({ path: ':memory:' }) });
    try {
      const instance = await registry.register({
        id: 'o',
        service: 'orders',
        version: '1.0.0',
        endpoints: { http: '127.0.0.1:9' },
        check: { type: 'http', url: 'http://127.0.0.1:9/health', timeoutSeconds: 0.5 },
      });
      assert.equal(instance.health, 'critical');
    } finally {
      await registry.close();
    }
  });

  it('checks TCP by connecting', async () => {
    const server = createTcpServer((socket) => socket.destroy());
    const port = await listen(server);
    assert.equal(await prober.probe({ type: 'tcp', address: `127.0.0.1:${port}` }), 'passing');
    await new Promise((done) => server.close(done));
    assert.equal(
      await prober.probe({ type: 'tcp', address: `127.0.0.1:${port}`, timeoutSeconds: 1 }),
      'critical',
    );
  });

  it('checks gRPC with grpc.health.v1, SERVING being passing', async () => {
    let status = 1;
    const server = new grpc.Server();
    server.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: encodeRequest,
          // An object, not a string: grpc-js treats a falsy request as a missing one.
          requestDeserialize: (b: Buffer) => ({ service: b.length === 0 ? '' : b.subarray(2).toString() }),
          responseSerialize: (s: number) => Buffer.from([0x08, s]),
          responseDeserialize: decodeStatus,
        },
      },
      {
        Check: (call: grpc.ServerUnaryCall<{ service: string }, number>, done: grpc.sendUnaryData<number>) =>
          call.request.service === 'unknown' ? done({ code: grpc.status.NOT_FOUND }) : done(null, status),
      },
    );
    const port = await new Promise<number>((ok, fail) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? fail(e) : ok(p),
      ),
    );
    const address = `127.0.0.1:${port}`;
    try {
      assert.equal(await prober.probe({ type: 'grpc', address }), 'passing');
      assert.equal(await prober.probe({ type: 'grpc', address, service: 'orders.v1.Orders' }), 'passing');
      assert.equal(await prober.probe({ type: 'grpc', address, service: 'unknown' }), 'critical');
      status = 2; // NOT_SERVING
      assert.equal(await prober.probe({ type: 'grpc', address }), 'critical');
    } finally {
      server.forceShutdown();
    }
    assert.equal(await prober.probe({ type: 'grpc', address, timeoutSeconds: 1 }), 'critical');
  });

  it('reads health responses with fields it does not know', () => {
    // field 2 (string "x") before field 1 = SERVING
    assert.equal(decodeStatus(Buffer.from([0x12, 0x01, 0x78, 0x08, 0x01])), 1);
    assert.equal(decodeStatus(Buffer.alloc(0)), 0);
    assert.deepEqual(encodeRequest('ab'), Buffer.from([0x0a, 0x02, 0x61, 0x62]));
  });
});
