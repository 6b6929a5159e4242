import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { describeBrokerAdapter } from '../conformance/suite.js';
import { redisStreamsBroker } from './index.js';
import { startPrivateRedis, type PrivateRedis } from './private-redis.js';

// The suite restarts the engine, so it runs against a private redis-server (appendonly, fsync always)
// on a free port, never the shared one. Its data directory is removed afterwards.
let server: PrivateRedis | undefined;
const env: Record<string, string> = {};
const prefix = `sy-conf-${randomBytes(4).toString('hex')}`;
const leaseMs = 2_000;

before(async () => {
  server = await startPrivateRedis();
  Object.assign(env, {
    SWITCHYARD_REDIS_URL: server.url,
    SWITCHYARD_REDIS_PREFIX: prefix,
    SWITCHYARD_REDIS_LEASE_MS: String(leaseMs),
    SWITCHYARD_REDIS_PERSISTENT: 'true',
  });
});
after(async () => {
  await server?.stop();
});

describeBrokerAdapter('redis', {
  async create() {
    return redisStreamsBroker({ url: server!.url, prefix, leaseMs, persistent: true });
  },
  childModule: fileURLToPath(new URL('./conformance-child.ts', import.meta.url)),
  childEnv: env,
  async restartEngine() {
    await server!.restart();
  },
  capabilities: { balancedAssignment: true, historyForNewGroups: true },
  // A SIGKILLed member's leases and heartbeat run out after leaseMs; the survivor's next tick takes them.
  takeoverMs: leaseMs * 3,
  // An idle channel's keys and an idle group's marker expire in Redis itself, and peek reads them as gone
  // the moment their TTL runs out, within idleExpiryMs of the last consumer's close: no sweep is waited for.
  expiryLagMs: 3_000,
});
