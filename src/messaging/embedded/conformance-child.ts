import type { BrokerAdapter } from '../adapter.js';
import { embeddedBroker } from './index.js';

/** For the conformance suite's member processes: the same SQLite file as the test, from the environment. */
export async function createAdapter(): Promise<BrokerAdapter> {
  const file = process.env.SWITCHYARD_EMBEDDED_FILE;
  if (!file) throw new Error('SWITCHYARD_EMBEDDED_FILE is not set');
  return embeddedBroker({
    file,
    leaseMs: Number(process.env.SWITCHYARD_EMBEDDED_LEASE_MS ?? 5_000),
    durability: process.env.SWITCHYARD_EMBEDDED_DURABILITY === 'interval' ? 'interval' : 'commit',
  });
}
