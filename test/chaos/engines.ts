import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BrokerAdapter } from '../../src/messaging/adapter.js';
import { embeddedBroker } from '../../src/messaging/embedded/index.js';
import { jetStreamBroker } from '../../src/messaging/jetstream/index.js';
import { startPrivateNatsServer } from '../../src/messaging/jetstream/private-server.js';
import { rabbitMqBroker } from '../../src/messaging/rabbitmq/index.js';
import { startPrivateRabbitMq } from '../../src/messaging/rabbitmq/private-node.js';
import { redisStreamsBroker } from '../../src/messaging/redis/index.js';
import { startPrivateRedis } from '../../src/messaging/redis/private-redis.js';

/** A private engine instance the chaos test may restart, and how its processes reach it. */
export interface ChaosEngine {
  readonly name: string;
  /** An adapter for the test process itself (dead letters, backlog, clean-up); the caller closes it. */
  adapter(): Promise<BrokerAdapter>;
  /** A module exporting `createAdapter()` configured from `env`, for the child processes. */
  readonly childModule: string;
  readonly env: Readonly<Record<string, string>>;
  /** Takes the engine away and brings it back, with what it had accepted. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const moduleOf = (engine: string) =>
  fileURLToPath(new URL(`../../src/messaging/${engine}/conformance-child.ts`, import.meta.url));
const tag = () => randomBytes(4).toString('hex');

/**
 * The embedded engine is a file, not a server: nothing to stop. Its nearest outage is the file's
 * write lock held by another process for longer than the store's busy timeout (5 s) and than a
 * partition lease: publishes and acks fail, heartbeats stop, and every lease runs out meanwhile.
 */
export async function embeddedEngine(): Promise<ChaosEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-chaos-embedded-'));
  const file = join(dir, 'broker.db');
  const leaseMs = 1_500;
  return {
    name: 'embedded',
    adapter: async () => embeddedBroker({ file, leaseMs }),
    childModule: moduleOf('embedded'),
    env: {
      SWITCHYARD_EMBEDDED_FILE: file,
      SWITCHYARD_EMBEDDED_LEASE_MS: String(leaseMs),
      // NORMAL keeps every commit across a process death, the only crash injected here; FULL's fsync
      // per single-message publish starves the consumers of the write lock (docs/messaging-chaos.md).
      SWITCHYARD_EMBEDDED_DURABILITY: process.env.SWITCHYARD_EMBEDDED_DURABILITY ?? 'interval',
    },
    restart: () => lockFile(file, 6_000),
    stop: () => rm(dir, { recursive: true, force: true }),
  };
}

async function lockFile(file: string, ms: number): Promise<void> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1], { timeout: 60000 });
    db.exec('BEGIN EXCLUSIVE');
    console.log('locked');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));`;
  const child = spawn(process.execPath, ['-e', script, file, String(ms)], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const locked = new Promise<void>((resolve) =>
    createInterface({ input: child.stdout! }).once('line', () => resolve()),
  );
  const code = await Promise.race([locked.then(() => exited), exited]);
  if (code !== 0) throw new Error(`the lock holder exited with ${code}`);
}

/** A private redis-server (appendonly, fsync always); a restart is a SIGKILL and a start on the same data. */
export async function redisEngine(): Promise<ChaosEngine> {
  const server = await startPrivateRedis();
  const prefix = `sy-chaos-${tag()}`;
  const leaseMs = 2_000;
  return {
    name: 'redis',
    adapter: async () => redisStreamsBroker({ url: server.url, prefix, leaseMs, persistent: true }),
    childModule: moduleOf('redis'),
    env: {
      SWITCHYARD_REDIS_URL: server.url,
      SWITCHYARD_REDIS_PREFIX: prefix,
      SWITCHYARD_REDIS_LEASE_MS: String(leaseMs),
      SWITCHYARD_REDIS_PERSISTENT: 'true',
    },
    restart: () => server.restart(),
    stop: () => server.stop(),
  };
}

/** A private nats-server with JetStream and its own store; a restart stops and starts it on the same store. */
export async function jetStreamEngine(): Promise<ChaosEngine> {
  const server = await startPrivateNatsServer();
  const prefix = `sychaos_${tag()}`;
  const leaseMs = 3_000;
  return {
    name: 'jetstream',
    adapter: async () => jetStreamBroker({ servers: server.url, prefix, leaseMs }),
    childModule: moduleOf('jetstream'),
    env: {
      SWITCHYARD_JETSTREAM_URL: server.url,
      SWITCHYARD_JETSTREAM_PREFIX: prefix,
      SWITCHYARD_JETSTREAM_LEASE_MS: String(leaseMs),
    },
    restart: () => server.restart(),
    stop: () => server.dispose(),
  };
}

/** A private RabbitMQ node (its own name, ports and data); a restart is `rabbitmqctl stop` and a boot. */
export async function rabbitMqEngine(): Promise<ChaosEngine> {
  const node = await startPrivateRabbitMq();
  const prefix = `sy-chaos-${tag()}`;
  const probeMs = 1_000;
  return {
    name: 'rabbitmq',
    adapter: async () => rabbitMqBroker({ url: node.url, prefix, probeIntervalMs: probeMs }),
    childModule: moduleOf('rabbitmq'),
    env: {
      SWITCHYARD_RABBITMQ_URL: node.url,
      SWITCHYARD_RABBITMQ_PREFIX: prefix,
      SWITCHYARD_RABBITMQ_PROBE_MS: String(probeMs),
    },
    restart: () => node.restart(),
    stop: () => node.stop(),
  };
}
