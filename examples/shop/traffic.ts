import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchyardError } from 'switchyard/errors';
import type { TrafficEnv } from 'switchyard/cli';
import { OrdersContract } from './contracts/orders.js';

const requests = [
  {
    consumerId: 'c-alice',
    restaurantId: 'r-ajanta',
    lineItems: [{ menuItemId: 'chicken-vindaloo', quantity: 2, unitPrice: 1250 }],
  },
  {
    consumerId: 'c-bob',
    restaurantId: 'r-ajanta',
    lineItems: [{ menuItemId: 'samosa', quantity: 10, unitPrice: 450 }],
  },
  {
    consumerId: 'c-carol',
    restaurantId: 'r-ajanta',
    lineItems: [{ menuItemId: 'naan', quantity: 1, unitPrice: 300 }],
  },
  {
    consumerId: 'c-dave',
    restaurantId: 'r-ajanta',
    lineItems: [{ menuItemId: 'naan', quantity: 2, unitPrice: 300 }],
  },
  {
    consumerId: 'c-nobody',
    restaurantId: 'r-ajanta',
    lineItems: [{ menuItemId: 'naan', quantity: 1, unitPrice: 300 }],
  },
];

/** Waits for a PENDING order to be approved or rejected by the asynchronous payment step. */
async function settled<T extends { orderId: string; status: string }>(
  order: T,
  get: (orderId: string) => Promise<T>,
): Promise<T> {
  for (let waited = 0; order.status === 'PENDING' && waited < 10_000; waited += 100) {
    await sleep(100);
    order = await get(order.orderId);
  }
  return order;
}

/** Sample traffic: places a few orders and shows how each one ended. */
export default async function traffic({ host, io, signal, once }: TrafficEnv): Promise<void> {
  const orders = host.client(OrdersContract, { timeoutMs: 2_000 });
  do {
    for (const request of requests) {
      try {
        const created = await orders.createOrder(request);
        const order = await settled(created, (orderId) => orders.getOrder({ orderId }));
        const detail = order.rejectionReason ? ` (${order.rejectionReason})` : '';
        io.out(`order ${order.orderId.slice(-8)} for ${order.consumerId}: ${order.status}${detail}`);
      } catch (error) {
        const e = SwitchyardError.from(error);
        io.out(`order for ${request.consumerId}: ${e.code} ${e.message}`);
      }
    }
    if (!once) await sleep(5_000, undefined, { signal }).catch(() => undefined);
  } while (!once && !signal.aborted);
}
