import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instance } from '../../../test/discovery/support.js';
import { staticResolver } from './static.js';

describe('static resolver', () => {
  it('turns addresses into passing instances of the given protocol', async () => {
    const r = staticResolver({
      services: { orders: ['127.0.0.1:8081', '127.0.0.1:8082'] },
      protocol: 'grpc',
    });
    const got = await r.resolve('orders');
    assert.deepEqual(
      got.map((i) => [i.id, i.service, i.endpoints.grpc, i.health]),
      [
        ['127.0.0.1:8081', 'orders', '127.0.0.1:8081', 'passing'],
        ['127.0.0.1:8082', 'orders', '127.0.0.1:8082', 'passing'],
      ],
    );
    assert.equal(await r.resolve('orders'), got, 'the same array every time');
    assert.deepEqual(await r.resolve('nobody'), []);
    assert.equal(
      (await r.resolve('orders', { major: 3 })).length,
      2,
      'unknown versions are not filtered out',
    );
  });

  it('serves full instances and filters them by major version', async () => {
    const r = staticResolver({
      services: [
        instance('a', { version: '1.2.0' }),
        instance('b', { version: '2.0.0' }),
        instance('k', { service: 'kitchen' }),
      ],
    });
    assert.deepEqual(
      (await r.resolve('orders')).map((i) => i.id),
      ['a', 'b'],
    );
    assert.deepEqual(
      (await r.resolve('orders', { major: 2 })).map((i) => i.id),
      ['b'],
    );
    assert.equal(await r.resolve('orders', { major: 2 }), await r.resolve('orders', { major: 2 }));
    assert.deepEqual(
      (await r.resolve('kitchen')).map((i) => i.id),
      ['k'],
    );
  });
});
