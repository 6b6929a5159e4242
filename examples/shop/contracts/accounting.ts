import { Type, command, contract, event } from 'switchyard/contract';

export const AccountingContract = contract({
  name: 'accounting',
  version: '1.1.0',
  description: 'Payments of the food delivery shop',
  snapshots: new URL('./snapshots/', import.meta.url),
  commands: {
    authorizeCard: command({
      description: "Authorizes the consumer's card for an order; answered asynchronously",
      payload: Type.Object({
        orderId: Type.String({ minLength: 1 }),
        consumerId: Type.String({ minLength: 1 }),
        amount: Type.Integer({ minimum: 0 }),
      }),
      reply: Type.Object({ authorized: Type.Boolean(), reason: Type.Optional(Type.String()) }),
      partitionKey: 'orderId',
    }),
  },
  events: {
    cardAuthorized: event({
      description: 'The card was charged for the order (the durable form of the reply, for the order saga)',
      payload: Type.Object({ orderId: Type.String(), consumerId: Type.String(), amount: Type.Integer() }),
      partitionKey: 'orderId',
    }),
    cardDeclined: event({
      payload: Type.Object({ orderId: Type.String(), consumerId: Type.String(), reason: Type.String() }),
      partitionKey: 'orderId',
    }),
  },
});
