import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  assertProblem,
  call,
  callsTo,
  fixtureContracts,
  fixtures,
  gatewayInFront,
  spawnFixture,
  startGateway,
} from './support.js';

describe('gateway versions: side by side, adapters, deprecation and sunset', { timeout: 60_000 }, () => {
  // Only v2 backends run: v1 is served by them through the adapter.
  const gw = gatewayInFront({
    env: { SERVICES: 'orders2,catalog2', INSTANCE: 'v2-a' },
    config: (v2) => ({
      contracts: [fixtureContracts(['gw-orders', 'gw-catalog'])],
      versions: [
        { serve: 'gw-orders@1', by: 'gw-orders@2', adapter: join(fixtures, 'orders-v1-adapter.ts') },
      ],
      discovery: {
        static: {
          'gw-orders': [{ address: v2, version: '2.0.0' }],
          'gw-catalog': [{ address: v2, version: '2.0.0' }],
        },
      },
    }),
  });

  it('serves v1 through the adapter on v2 backends, with Deprecation, Sunset and Link headers', async () => {
    const created = await call(`${gw.url}/v1/orders`, {
      method: 'POST',
      body: { consumerId: 'c-1', items: [{ sku: 'soup', qty: 3 }], note: 'no onions' },
    });
    assert.equal(created.status, 200, created.text);
    const order = created.json();
    assert.deepEqual(Object.keys(order).sort(), ['consumerId', 'orderId', 'servedBy', 'state', 'total']);
    assert.equal(order.total, 300);
    assert.equal(order.servedBy, 'v2-a');
    assert.equal(callsTo(gw.backend, 'gw-orders@2.createOrder').length, 1, 'the v2 backend served it');

    assert.equal(created.headers.deprecation, `@${Date.parse('2025-01-01') / 1000}`);
    assert.equal(created.headers.sunset, 'Thu, 31 Dec 2099 00:00:00 GMT');
    const links = [created.headers.link].flat().join(', ');
    assert.match(links, /<https:\/\/docs\.example\.com\/orders-v2>; rel="deprecation"/);
    assert.match(links, /<\/v2\/orders>; rel="successor-version"/);

    const read = await call(`${gw.url}/v1/orders/${order.orderId}`);
    assert.deepEqual(read.json(), order);
    const found = await call(`${gw.url}/v1/orders?consumerId=c-1&limit=10`);
    assert.deepEqual(found.json(), { orders: [order] });
    assert.equal(callsTo(gw.backend, 'gw-orders@2.searchOrders').length, 1);

    const current = await call(`${gw.url}/v2/orders/${order.orderId}`);
    assert.equal(current.json().customer.id, 'c-1');
    assert.equal(current.headers.deprecation, undefined);
  });

  it('checks v1 requests against the v1 contract before adapting them', async () => {
    const before = callsTo(gw.backend, 'gw-orders@2.createOrder').length;
    const problem = assertProblem(
      await call(`${gw.url}/v1/orders`, {
        method: 'POST',
        body: { consumerId: 'c', items: [{ sku: 's', quantity: 1 }] },
      }),
      400,
      'INVALID_ARGUMENT',
    );
    assert.ok(problem.details.violations.some((v: { path: string }) => v.path === '/items/0/qty'));
    assertProblem(await call(`${gw.url}/v1/orders/%E0%A4%A`), 400, 'INVALID_ARGUMENT');
    assert.equal(callsTo(gw.backend, 'gw-orders@2.createOrder').length, before);
    assertProblem(await call(`${gw.url}/v1/orders/o-404`), 404, 'NOT_FOUND');
  });

  it('routes two major versions side by side to the backends of each', async () => {
    const v1 = await spawnFixture('backend', { SERVICES: 'orders1', INSTANCE: 'v1-a' });
    const both = await startGateway({
      contracts: [fixtureContracts(['gw-orders'])],
      discovery: {
        static: {
          'gw-orders': [
            { address: v1.address, version: '1.2.0' },
            { address: gw.backend.address, version: '2.0.0' },
          ],
        },
      },
    });
    try {
      for (let i = 0; i < 5; i++) {
        const old = await call(`${both.url}/v1/orders`, {
          method: 'POST',
          body: { consumerId: 'c', items: [{ sku: 's', qty: 1 }] },
        });
        assert.equal(old.json().servedBy, 'v1-a');
        const current = await call(`${both.url}/v2/orders`, {
          method: 'POST',
          body: { customer: { id: 'c' }, lines: [{ sku: 's', quantity: 1 }] },
        });
        assert.equal(current.json().servedBy, 'v2-a');
      }
    } finally {
      await both.close();
      await v1.stop();
    }
  });

  it('answers 410 Gone after the sunset, pointing to the new version', async () => {
    const gone = await call(`${gw.url}/v1/items/sku-1`);
    const problem = assertProblem(gone, 410, 'GONE');
    assert.equal(problem.details.successor, '/v2/items/:sku');
    assert.equal(problem.details.sunset, '2020-01-01T00:00:00.000Z');
    assert.match([gone.headers.link].flat().join(', '), /<\/v2\/items\/:sku>; rel="successor-version"/);
    assert.equal(callsTo(gw.backend, 'gw-catalog@2.getItem').length, 0);
    const current = await call(`${gw.url}/v2/items/sku-1`);
    assert.deepEqual(current.json(), { sku: 'sku-1', name: 'item sku-1', priceCents: 250 });
  });
});
