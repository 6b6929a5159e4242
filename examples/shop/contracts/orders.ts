import { Type, contract, operation } from 'switchyard/contract';

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

export const Order = Type.Object({
  orderId: Type.String(),
  consumerId: Type.String(),
  restaurantId: Type.String(),
  state: OrderState,
  items: Type.Array(LineItem),
  total: Money,
  rejectionReason: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});

export const OrdersContract = contract({
  name: 'orders',
  version: '1.0.0',
  description: 'Orders of the food delivery shop',
  snapshots: new URL('./snapshots/', import.meta.url),
  operations: {
    createOrder: operation({
      input: Type.Object({
        consumerId: Type.String({ minLength: 1 }),
        restaurantId: Type.String({ minLength: 1 }),
        items: Type.Array(LineItem, { minItems: 1, maxItems: 50 }),
        note: Type.Optional(Type.String({ maxLength: 500 })),
      }),
      output: Order,
      http: { method: 'POST', path: '/orders' },
      errors: ['INVALID_ARGUMENT', 'NOT_FOUND'],
    }),
    getOrder: operation({
      input: Type.Object({ orderId: Type.String({ minLength: 1 }) }),
      output: Order,
      http: { method: 'GET', path: '/orders/:orderId' },
      idempotent: true,
      errors: ['NOT_FOUND'],
    }),
  },
});
