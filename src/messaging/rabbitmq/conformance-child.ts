/**
 * Loaded by the conformance suite's member processes: an adapter on the same RabbitMQ and prefix as
 * the test that spawned it (both passed through the environment).
 */
import type { BrokerAdapter } from '../adapter.js';
import { rabbitMqBroker } from './index.js';

export async function createAdapter(): Promise<BrokerAdapter> {
  return rabbitMqBroker({
    url: process.env.SWITCHYARD_RABBITMQ_URL,
    prefix: process.env.SWITCHYARD_RABBITMQ_PREFIX,
    probeIntervalMs: Number(process.env.SWITCHYARD_RABBITMQ_PROBE_MS ?? 1_000),
  });
}
