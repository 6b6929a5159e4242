import { defineLoad } from 'switchyard/cli';
import { mintDevToken } from './auth/dev-tokens.js';

/** Virtual clients: each token is its own rate-limit client (its subject), all ordering for Alice. */
const clients = 64;
const item = { menuItemId: 'naan', quantity: 1, unitPrice: 300 };

/**
 * `switchyard load` against the shop's gateway: mostly v2 orders followed until the saga settled
 * them (PENDING → APPROVED through orders, the outbox, the broker, accounting and back), some reads,
 * and a few v1 clients going through the version adapter.
 */
export default defineLoad({
  async setup() {
    const tokens = await Promise.all(
      Array.from({ length: clients }, (_, i) => mintDevToken({ subject: `load-${i}` })),
    );
    return { headers: tokens.map((token) => ({ authorization: `Bearer ${token}` })) };
  },
  next({ headers }, sequence) {
    const auth = headers[sequence % clients]!;
    const mix = sequence % 10;
    if (mix === 9)
      return {
        kind: 'createOrder v1',
        method: 'POST',
        path: '/v1/orders',
        headers: auth,
        body: { consumerId: 'c-alice', restaurantId: 'r-ajanta', items: [item] },
      };
    return {
      kind: 'createOrder',
      method: 'POST',
      path: '/v2/orders',
      headers: auth,
      body: { consumerId: 'c-alice', restaurantId: 'r-ajanta', lineItems: [item] },
      settle: {
        path: (order: { orderId: string }) => `/v2/orders/${order.orderId}`,
        done: (order: { status: string }) => order.status !== 'PENDING',
        everyMs: 50,
        timeoutMs: 10_000,
      },
    };
  },
});
