/**
 * Internal (tests): the module the conformance suite's member processes load. Settings come from the
 * environment the harness passes (`SWITCHYARD_JETSTREAM_*`).
 */
import type { BrokerAdapter } from '../adapter.js';
import { jetStreamBroker } from './index.js';

export async function createAdapter(): Promise<BrokerAdapter> {
  return jetStreamBroker({
    servers: process.env.SWITCHYARD_JETSTREAM_URL ?? 'nats://127.0.0.1:4222',
    prefix: process.env.SWITCHYARD_JETSTREAM_PREFIX ?? 'switchyard',
    leaseMs: Number(process.env.SWITCHYARD_JETSTREAM_LEASE_MS ?? 6_000),
    expirySweepMs: Number(process.env.SWITCHYARD_JETSTREAM_EXPIRY_SWEEP_MS ?? 60_000),
  });
}
