import { Type, contract, event, operation } from 'switchyard/contract';

export const Money = Type.Object({
  amount: Type.Integer({ minimum: 0, description: 'minor units (cents)' }),
  currency: Type.String({ minLength: 3, maxLength: 3, default: 'EUR' }),
});

export const LineItem = Type.Object({
  menuItemId: Type.String({ minLength: 1 }),
  quantity: Type.Integer({ minimum: 1, maximum: 50 }),
  unitPrice: Type.Integer({ minimum: 0 }),
});

export const OrderState = Type.Union([
  Type.Literal('PENDING'),
  Type.Literal('APPROVED'),
  Type.Literal('REJECTED'),
]);

/** The order as v2 shows it. */
export const Order = Type.Object({
  orderId: Type.String(),
  consumerId: Type.String(),
  restaurantId: Type.String(),
  status: OrderState,
  lineItems: Type.Array(LineItem),
  total: Money,
  rejectionReason: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});

/** The order as v1 showed it (`state`, `items`). */
export const OrderV1 = Type.Object({
  orderId: Type.String(),
  consumerId: Type.String(),
  restaurantId: Type.String(),
  state: OrderState,
  items: Type.Array(LineItem),
  total: Money,
  rejectionReason: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});

/** The same events in both majors: they travel on one channel, `orders.events`. */
const orderEvents = {
  orderCreated: event({
    description: 'A PENDING order was accepted; the kitchen prepares a ticket',
    payload: Type.Object({
      orderId: Type.String(),
      consumerId: Type.String(),
      restaurantId: Type.String(),
      items: Type.Array(LineItem),
      total: Money,
    }),
    partitionKey: 'orderId',
  }),
  orderApproved: event({
    payload: Type.Object({ orderId: Type.String(), consumerId: Type.String() }),
    partitionKey: 'orderId',
  }),
  orderRejected: event({
    payload: Type.Object({ orderId: Type.String(), consumerId: Type.String(), reason: Type.String() }),
    partitionKey: 'orderId',
  }),
};

const getOrder = <O extends typeof Order | typeof OrderV1>(output: O) =>
  operation({
    input: Type.Object({ orderId: Type.String({ minLength: 1 }) }),
    output,
    http: { method: 'GET', path: '/orders/:orderId' },
    idempotent: true,
    errors: ['NOT_FOUND'],
  });

/** Orders v2: what the orders service implements. */
export const OrdersContract = contract({
  name: 'orders',
  version: '2.0.0',
  description: 'Orders of the food delivery shop',
  snapshots: new URL('./snapshots/', import.meta.url),
  operations: {
    createOrder: operation({
      input: Type.Object({
        consumerId: Type.String({ minLength: 1 }),
        restaurantId: Type.String({ minLength: 1 }),
        lineItems: Type.Array(LineItem, { minItems: 1, maxItems: 50 }),
        note: Type.Optional(Type.String({ maxLength: 500 })),
      }),
      output: Order,
      http: { method: 'POST', path: '/orders' },
      errors: ['INVALID_ARGUMENT', 'NOT_FOUND'],
      description:
        'Answers at once: REJECTED when the consumer may not order, else PENDING until payment is authorized',
    }),
    getOrder: getOrder(Order),
  },
  events: orderEvents,
});

/**
 * Orders v1, kept for the clients that still use it: the gateway serves it through the v1 adapter
 * (orders-v1-adapter.ts) with the v2 service behind it, and announces its deprecation and sunset.
 */
export const OrdersV1Contract = contract({
  name: 'orders',
  version: '1.2.0',
  description: 'Orders of the food delivery shop',
  deprecated: { since: '2026-11-01', sunset: '2027-06-30', link: 'https://switchyard.dev/shop/orders-v2' },
  snapshots: new URL('./snapshots/', import.meta.url),
  operations: {
    createOrder: operation({
      input: Type.Object({
        consumerId: Type.String({ minLength: 1 }),
        restaurantId: Type.String({ minLength: 1 }),
        items: Type.Array(LineItem, { minItems: 1, maxItems: 50 }),
        note: Type.Optional(Type.String({ maxLength: 500 })),
      }),
      output: OrderV1,
      http: { method: 'POST', path: '/orders' },
      errors: ['INVALID_ARGUMENT', 'NOT_FOUND'],
      description:
        'Answers at once: REJECTED when the consumer may not order, else PENDING until payment is authorized',
    }),
    getOrder: getOrder(OrderV1),
  },
  events: orderEvents,
});
