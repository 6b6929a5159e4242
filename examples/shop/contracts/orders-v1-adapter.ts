import { versionAdapter } from 'switchyard/gateway';
import { OrdersContract, OrdersV1Contract, type Order } from './orders.js';

type OrderV2 = typeof Order.static;

/** v2's order in v1's words: `status` was `state`, `lineItems` were `items`. */
function toV1({ status, lineItems, ...rest }: OrderV2) {
  return { ...rest, state: status, items: lineItems };
}

/** Serves orders v1 with the v2 service: each request up-converted, each answer down-converted. */
export default versionAdapter({
  from: OrdersV1Contract,
  to: OrdersContract,
  operations: {
    createOrder: {
      request: ({ items, ...rest }) => ({ ...rest, lineItems: items }),
      response: (order: OrderV2) => toV1(order),
    },
    getOrder: { response: (order: OrderV2) => toV1(order) },
  },
});
