import { SwitchyardError } from 'switchyard/errors';
import { defineService } from 'switchyard/runtime';
import { ConsumersContract, type Consumer } from '../../contracts/consumers.js';

type ConsumerRecord = typeof Consumer.static;

/** Seed data: a few consumers, one inactive, one with a low limit, one whose card accounting refuses. */
const seed: ConsumerRecord[] = [
  { consumerId: 'c-alice', name: 'Alice', orderLimit: 50_000, active: true },
  { consumerId: 'c-bob', name: 'Bob', orderLimit: 2_000, active: true },
  { consumerId: 'c-carol', name: 'Carol', orderLimit: 50_000, active: false },
  { consumerId: 'c-dave', name: 'Dave', orderLimit: 50_000, active: true },
];

export default defineService(ConsumersContract, () => {
  const consumers = new Map(seed.map((c) => [c.consumerId, c]));
  const find = (consumerId: string) => {
    const consumer = consumers.get(consumerId);
    if (!consumer)
      throw new SwitchyardError('NOT_FOUND', `No consumer ${consumerId}`, { details: { consumerId } });
    return consumer;
  };
  return {
    getConsumer: ({ consumerId }) => find(consumerId),
    validateOrderForConsumer: ({ consumerId, orderTotal }) => {
      const consumer = find(consumerId);
      if (!consumer.active) return { valid: false, reason: 'consumer account is inactive' };
      if (orderTotal > consumer.orderLimit)
        return { valid: false, reason: `order total exceeds the limit of ${consumer.orderLimit}` };
      return { valid: true };
    },
  };
});
