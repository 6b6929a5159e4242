import { Type, contract, operation } from 'switchyard/contract';

export const Consumer = Type.Object({
  consumerId: Type.String(),
  name: Type.String(),
  /** Orders above this amount (in minor units) are refused. */
  orderLimit: Type.Integer({ minimum: 0 }),
  active: Type.Boolean(),
});

export const ConsumersContract = contract({
  name: 'consumers',
  version: '1.0.0',
  description: 'Consumer accounts of the food delivery shop; validates who may order what',
  snapshots: new URL('./snapshots/', import.meta.url),
  operations: {
    getConsumer: operation({
      input: Type.Object({ consumerId: Type.String({ minLength: 1 }) }),
      output: Consumer,
      http: { method: 'GET', path: '/consumers/:consumerId' },
      idempotent: true,
      errors: ['NOT_FOUND'],
    }),
    validateOrderForConsumer: operation({
      description: 'Whether this consumer may place an order of this total',
      input: Type.Object({
        consumerId: Type.String({ minLength: 1 }),
        orderTotal: Type.Integer({ minimum: 0 }),
      }),
      output: Type.Object({ valid: Type.Boolean(), reason: Type.Optional(Type.String()) }),
      http: { method: 'POST', path: '/consumers/:consumerId/validate-order' },
      idempotent: true,
      errors: ['NOT_FOUND'],
    }),
  },
});
