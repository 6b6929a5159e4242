import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertProblem, call, callsTo, fixtureContracts, gatewayInFront } from './support.js';

describe('gateway composition', { timeout: 60_000 }, () => {
  const gw = gatewayInFront({
    env: { SERVICES: 'profiles,orders1', INSTANCE: 'c1', FAIL: 'getRecommendations' },
    config: (backend) => ({
      contracts: [fixtureContracts(['gw-profiles', 'gw-orders@1', 'gw-catalog@2'])],
      // No instance of gw-catalog: a part calling it fails.
      discovery: { static: { 'gw-profiles': [backend], 'gw-orders': [backend] } },
      resilience: { default: { timeoutMs: 2000 } },
      routes: [
        {
          name: 'dashboard',
          match: { path: '/v1/dashboard/:userId', methods: ['GET'] },
          compose: {
            parts: {
              profile: { operation: 'gw-profiles@1.getProfile', input: { userId: '$path.userId' } },
              recommendations: {
                operation: 'gw-profiles@1.getRecommendations',
                input: { userId: '$path.userId', count: '$query.count' },
                optional: true,
              },
              orders: {
                operation: 'gw-orders@1.findOrders',
                input: { consumerId: '$path.userId', limit: 5 },
              },
              featured: {
                operation: 'gw-catalog@2.getItem',
                input: { sku: 'featured' },
                fallback: { sku: 'none' },
              },
            },
          },
        },
        {
          name: 'item-page',
          match: { path: '/v1/item-page/:sku', methods: ['GET'] },
          compose: {
            parts: {
              item: { operation: 'gw-catalog@2.getItem', input: { sku: '$path.sku' } },
              viewer: { operation: 'gw-profiles@1.getProfile', input: { userId: '$header.x-user' } },
            },
          },
        },
      ],
    }),
  });

  it('calls the parts in parallel and merges them, omitting and marking failed optional parts', async () => {
    const answer = await call(`${gw.url}/v1/dashboard/u-5?count=2`);
    assert.equal(answer.status, 200, answer.text);
    const body = answer.json();
    assert.deepEqual(body.profile, { userId: 'u-5', name: 'user u-5', servedBy: 'c1' });
    assert.deepEqual(body.orders, { orders: [] });
    assert.equal('recommendations' in body, false, 'the failed optional part is left out');
    assert.deepEqual(body.featured, { sku: 'none' }, 'the failed part with a fallback answers the fallback');
    assert.equal(body._partial.recommendations.code, 'UNAVAILABLE');
    assert.equal(body._partial.featured.code, 'UNAVAILABLE');
    assert.equal(body._partial.featured.fallback, true);
    assert.equal(callsTo(gw.backend, 'gw-profiles@1.getRecommendations').length >= 1, true);
  });

  it('fails the request when a required part fails, naming the part', async () => {
    const problem = assertProblem(
      await call(`${gw.url}/v1/item-page/s-1`, { headers: { 'x-user': 'u-1' } }),
      503,
      'UNAVAILABLE',
    );
    assert.equal(problem.details.part, 'item');
  });
});
