import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { describeBrokerAdapter } from '../conformance/suite.js';
import { createAdapter } from './conformance-child.js';
import { startPrivateNatsServer } from './private-server.js';

// A private nats-server (own port, own store) so the restart case never touches the shared one.
const server = await startPrivateNatsServer();
after(() => server.dispose());

const env = {
  SWITCHYARD_JETSTREAM_URL: server.url,
  SWITCHYARD_JETSTREAM_PREFIX: `syconf_${randomBytes(4).toString('hex')}`,
  SWITCHYARD_JETSTREAM_LEASE_MS: '3000',
  SWITCHYARD_JETSTREAM_EXPIRY_SWEEP_MS: '500',
};
Object.assign(process.env, env);

describeBrokerAdapter('jetstream', {
  create: createAdapter,
  childModule: fileURLToPath(new URL('./conformance-child.ts', import.meta.url)),
  childEnv: env,
  restartEngine: () => server.restart(),
  // Leases balance members; a stream keeps history for groups that start later.
  capabilities: { balancedAssignment: true, historyForNewGroups: true },
  // Lease (3 s) + one renewal period (1 s) + one pull (1 s) + slack.
  takeoverMs: 8_000,
  // The marker's TTL is exact (server clock); then one sweep period (500 ms, +20% jitter) and the removal.
  expiryLagMs: 3_000,
});
