import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SwitchyardError } from '../errors/index.js';
import type { Registrar as ProcessRegistrar } from '../rpc/service-process/run.js';
import { startFakeHub, type FakeHub } from '../../test/discovery/fake-hub.js';
import { until } from '../../test/discovery/support.js';
import { registrar, type RegistrarErrorEvent, type RegistrarOptions } from './registrar.js';

describe('registrar', () => {
  let hub: FakeHub;
  const options = (overrides: Partial<RegistrarOptions> = {}): RegistrarOptions => ({
    url: hub.url,
    registration: { id: 'orders-1', service: 'orders', version: '1.2.0', zone: 'a', ttlSeconds: 0.3 },
    ...overrides,
  });

  before(async () => {
    hub = await startFakeHub({ token: 's3cret' });
  });
  beforeEach(() => {
    hub.forget();
    hub.heartbeats.clear();
  });
  after(() => hub.stop());

  it('registers its endpoints, heartbeats every TTL/3 and deregisters on a graceful stop', async () => {
    const r = registrar(options({ token: 's3cret' }));
    await r.register({ http: '127.0.0.1:8081', grpc: '127.0.0.1:50051' });
    const [instance] = hub.instances('orders');
    assert.deepEqual(instance?.endpoints, { http: '127.0.0.1:8081', grpc: '127.0.0.1:50051' });
    assert.equal(instance?.zone, 'a');
    assert.equal(instance?.version, '1.2.0');

    const started = performance.now();
    await until(() => ((hub.heartbeats.get('orders-1') ?? 0) >= 3 ? true : undefined));
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 1500, `three heartbeats at 100 ms took ${elapsed} ms`);

    await r.deregister();
    assert.deepEqual(hub.instances('orders'), []);
    const count = hub.heartbeats.get('orders-1');
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(hub.heartbeats.get('orders-1'), count, 'no heartbeat after deregistering');
  });

  it('registers again when a heartbeat gets 404 (the hub forgot it)', async () => {
    const r = registrar(options({ token: 's3cret', heartbeatEverySeconds: 0.05 }));
    const again: string[] = [];
    r.onReregistered((e) => again.push(e.id));
    await r.register({ http: '127.0.0.1:8081' });
    hub.forget();
    assert.deepEqual(hub.instances('orders'), []);
    const back = await until(() => hub.instances('orders')[0]);
    assert.equal(back.id, 'orders-1');
    assert.deepEqual(back.endpoints, { http: '127.0.0.1:8081' });
    // The hub stores the instance before the registrar reads the hub's answer and reports it.
    await until(() => (again.length > 0 ? true : undefined));
    assert.deepEqual(again, ['orders-1']);
    await r.deregister();
  });

  it('waits for a hub that is not up yet, within registerTimeoutMs', async () => {
    await hub.stop();
    const r = registrar(options({ token: 's3cret' }));
    const errors: RegistrarErrorEvent[] = [];
    r.onError((e) => errors.push(e));
    const registering = r.register({ http: '127.0.0.1:8081' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await hub.start();
    await registering;
    assert.equal(hub.instances('orders').length, 1);
    assert.ok(errors.length > 0 && errors.every((e) => e.operation === 'register'));
    await r.deregister();

    await hub.stop();
    try {
      const late = registrar(options({ token: 's3cret', registerTimeoutMs: 150 }));
      await assert.rejects(late.register({}), (e: unknown) => SwitchyardError.is(e, 'UNAVAILABLE'));
      await late.deregister();
    } finally {
      await hub.start();
    }
  });

  it('fails at once when the hub refuses it (missing token)', async () => {
    const r = registrar(options());
    const started = performance.now();
    await assert.rejects(r.register({ http: '127.0.0.1:8081' }), (e: unknown) =>
      SwitchyardError.is(e, 'UNAUTHENTICATED'),
    );
    assert.ok(performance.now() - started < 500);
    await r.deregister();
  });

  it('keeps heartbeating through an outage and leaves a dead hub to the TTL on stop', async () => {
    const r = registrar(options({ token: 's3cret', heartbeatEverySeconds: 0.03 }));
    const errors: RegistrarErrorEvent[] = [];
    r.onError((e) => errors.push(e));
    await r.register({ http: '127.0.0.1:8081' });
    await hub.stop();
    try {
      await until(() => (errors.some((e) => e.operation === 'heartbeat') ? true : undefined));
      await r.deregister();
      assert.ok(
        errors.some((e) => e.operation === 'deregister'),
        'reported, not thrown',
      );
    } finally {
      await hub.start();
    }
  });

  it('generates an id from the service name when none is given', () => {
    const r = registrar({ url: hub.url, registration: { service: 'kitchen', version: '1.0.0' } });
    assert.match(r.id, /^kitchen-[0-9a-f]{8}$/);
  });

  it('fits runServiceProcess, and registers only registry protocols', async () => {
    const r: ProcessRegistrar = registrar(options({ token: 's3cret' }));
    await r.register({ http: '127.0.0.1:8081', ws: '127.0.0.1:9000', grpc: undefined });
    assert.deepEqual(hub.instances('orders')[0]?.endpoints, { http: '127.0.0.1:8081' });
    await r.deregister();
  });
});
