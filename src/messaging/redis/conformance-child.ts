/**
 * Internal, for the conformance suite's member processes: an adapter configured from the environment
 * (`SWITCHYARD_REDIS_URL`, `SWITCHYARD_REDIS_PREFIX`, `SWITCHYARD_REDIS_LEASE_MS`).
 */
import type { BrokerAdapter } from '../adapter.js';
import { redisStreamsBroker } from './index.js';

export async function createAdapter(): Promise<BrokerAdapter> {
  const env = process.env;
  return redisStreamsBroker({
    url: env.SWITCHYARD_REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: env.SWITCHYARD_REDIS_PREFIX ?? 'switchyard',
    leaseMs: env.SWITCHYARD_REDIS_LEASE_MS ? Number(env.SWITCHYARD_REDIS_LEASE_MS) : 5_000,
    persistent: env.SWITCHYARD_REDIS_PERSISTENT === 'true',
  });
}
