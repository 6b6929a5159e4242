import { Type, contract, operation } from 'switchyard/contract';

export const Ticket = Type.Object({
  orderId: Type.String(),
  restaurantId: Type.String(),
  lines: Type.Array(
    Type.Object({ menuItemId: Type.String(), name: Type.String(), quantity: Type.Integer() }),
  ),
  createdAt: Type.String({ format: 'date-time' }),
});

export const KitchenContract = contract({
  name: 'kitchen',
  version: '1.0.0',
  description: 'Tickets the restaurants prepare, made from created orders',
  snapshots: new URL('./snapshots/', import.meta.url),
  operations: {
    getTicket: operation({
      input: Type.Object({ orderId: Type.String({ minLength: 1 }) }),
      output: Ticket,
      http: { method: 'GET', path: '/tickets/:orderId' },
      idempotent: true,
      errors: ['NOT_FOUND'],
    }),
  },
});
