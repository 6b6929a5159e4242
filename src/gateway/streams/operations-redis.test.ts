import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import { redisOperationStore } from './operations-redis.js';

describe('Redis operation store', () => {
  test('with Redis unreachable, accepting and polling fail fast with UNAVAILABLE, and no work starts', async () => {
    const store = redisOperationStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300 });
    let sent = false;
    try {
      const started = Date.now();
      await assert.rejects(
        store.start('orders.placeOrder', 'alice', async () => {
          sent = true;
        }),
        (error) => SwitchyardError.is(error, 'UNAVAILABLE'),
      );
      await assert.rejects(store.get('some-id', 'alice'), (error) =>
        SwitchyardError.is(error, 'UNAVAILABLE'),
      );
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
      assert.equal(sent, false, 'a command whose status cannot be stored is not sent');
    } finally {
      await store.close();
    }
  });
});
