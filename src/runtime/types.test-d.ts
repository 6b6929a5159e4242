// Type-level tests: `npm test` runs `tsc`, and an `@ts-expect-error` that stops being an error fails it.
import { createHost, type Implementation } from './index.js';
import { OrdersContract } from '../../test/fixtures/orders.contract.js';

const host = createHost();
const orders = host.client(OrdersContract);

export async function clientTypes() {
  const order = await orders.getOrder({ orderId: 'o' });
  const state: 'PENDING' | 'APPROVED' | 'REJECTED' = order.state;
  const amount: number = order.total.amount;
  void state;
  void amount;

  // @ts-expect-error a field the contract does not declare
  await orders.getOrder({ orderId: 'o', bogus: 1 });
  // @ts-expect-error a required field is missing
  await orders.getOrder({});
  // @ts-expect-error wrong field type
  await orders.getOrder({ orderId: 42 });
  // @ts-expect-error no such operation
  await orders.deleteEverything({});
  // @ts-expect-error the output has no such field
  void order.shippingAddress;
}

export const implementationTypes: Implementation<typeof OrdersContract> = {
  createOrder: (input) => ({
    orderId: 'o',
    consumerId: input.consumerId,
    state: 'PENDING',
    items: input.items,
    total: { amount: 1, currency: 'EUR' },
    tags: {},
  }),
  getOrder: (input) => ({
    orderId: input.orderId,
    consumerId: 'c',
    // @ts-expect-error not one of the declared states
    state: 'SHIPPED',
    items: [],
    total: { amount: 1, currency: 'EUR' },
    tags: {},
  }),
  // @ts-expect-error a handler returning the wrong shape
  cancelOrder: () => ({ orderId: 1 }),
};
