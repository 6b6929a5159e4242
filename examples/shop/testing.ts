import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeTcpPort } from 'switchyard/cli';
import { parse, stringify } from 'yaml';

/** For the tests that run the shop as `switchyard up` does: the repository root and the CLI. */
export const root = fileURLToPath(new URL('../../', import.meta.url));
const shop = join(root, 'examples', 'shop');

/** The shop's services, in the order the manifest starts them (`up` stops them in reverse). */
export const services = ['kitchen', 'restaurants', 'consumers', 'accounting', 'notifications', 'orders'];
/** The manifest's entries: the services and the canary of orders. */
export const entries = [...services, 'orders-canary'];
export const relayed = ['accounting', 'orders'];

export function cli(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['bin/switchyard.js', ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
}

/** A port for a process of the shop to take later (outside the range outgoing connections use). */
export function freePort(): Promise<number> {
  return freeTcpPort();
}

export interface ShopOnFreePorts {
  readonly name: string;
  readonly file: string;
  readonly hubPort: number;
  readonly dnsPort: number;
  readonly gatewayPort: number;
  /** Removes the manifest's folder (databases, broker) and the system's state (logs). */
  cleanup(): void;
}

/**
 * The shop's manifest on free ports, with its databases and embedded broker in a folder of its own,
 * so a running system or another test run does not collide with it. `traffic: false` leaves out the
 * sample traffic that `up` sends.
 */
export async function shopOnFreePorts(options: { traffic?: boolean } = {}): Promise<ShopOnFreePorts> {
  const [hubPort, dnsPort, gatewayPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const name = `shop-test-${hubPort}`;
  const dir = join(root, '.switchyard', 'tmp', `shop-${process.pid}-${hubPort}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'shop.yaml');
  // The shop's own manifest (services, relays, policies), moved: its files named by absolute paths.
  const manifest = parse(readFileSync(join(shop, 'switchyard.yaml'), 'utf8')) as {
    services: Record<string, { entry: string }>;
    gateway: { config: string; port?: number };
    traffic: string;
    load: string;
  } & Record<string, unknown>;
  for (const service of Object.values(manifest.services)) service.entry = join(shop, service.entry);
  writeFileSync(
    file,
    stringify({
      ...manifest,
      name,
      hub: { port: hubPort, dnsPort },
      gateway: { config: join(shop, manifest.gateway.config), port: gatewayPort },
      // Scenarios count what they send: the sample traffic would add calls of its own.
      traffic: options.traffic === false ? undefined : join(shop, manifest.traffic),
      load: join(shop, manifest.load),
    }),
  );
  return {
    name,
    file,
    hubPort,
    dnsPort,
    gatewayPort,
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      rmSync(join(root, '.switchyard', name), { recursive: true, force: true });
    },
  };
}

/** Resolves with everything the child printed once `text` appeared in it (stdout or stderr). */
export function waitForOutput(
  child: ChildProcessWithoutNullStreams,
  text: string | RegExp,
  output: { text: string } = { text: '' },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (chunk: Buffer) => {
      output.text += chunk.toString();
      if (typeof text === 'string' ? output.text.includes(text) : text.test(output.text))
        resolve(output.text);
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited ${code} before "${text}":\n${output.text}`)));
  });
}

/**
 * The engine sets the shop runs on: the embedded defaults, and the real engines switched on by the
 * environment variables `up` reads. Names are unique per run so runs never see each other's data.
 */
export interface EngineSet {
  readonly name: string;
  readonly env: Record<string, string>;
  /** Deletes what the run left on the shared engines. */
  cleanup(): Promise<void>;
}

const pgUrl = process.env.SWITCHYARD_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const channels = ['orders.events', 'restaurants.events', 'accounting.commands', 'accounting.events'];

export function engineSets(): EngineSet[] {
  const run = `shop_${process.pid}_${Date.now().toString(36)}`;
  const brokerCleanup = (url: string, prefix: string) => async () => {
    const { connectBroker } = await import('switchyard/messaging');
    const broker = connectBroker(url, { prefix });
    for (const channel of channels)
      for (const name of [channel, `${channel}.dlq`]) await broker.deleteChannel(name).catch(() => undefined);
    await broker.close();
  };
  const dropSchemas = (prefix: string) => async () => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    for (const service of relayed) await client.query(`DROP SCHEMA IF EXISTS "${prefix}${service}" CASCADE`);
    await client.end();
  };
  const dropEtcd = (prefix: string) => async () => {
    const { Etcd3 } = await import('etcd3');
    const etcd = new Etcd3({ hosts: 'http://127.0.0.1:2379' });
    await etcd.delete().prefix(prefix);
    etcd.close();
  };
  const all =
    (...steps: (() => Promise<void>)[]) =>
    async () => {
      for (const step of steps) await step();
    };
  const nats = { url: 'nats://127.0.0.1:4222', prefix: `${run}_js` };
  const amqp = { url: 'amqp://guest:guest@127.0.0.1:5672', prefix: `${run}-mq` };
  const redis = { url: 'redis://127.0.0.1:6379', prefix: `${run}-rd` };
  return [
    { name: 'embedded defaults', env: {}, cleanup: async () => {} },
    {
      name: 'NATS JetStream, PostgreSQL and etcd',
      env: {
        SWITCHYARD_BROKER: nats.url,
        SWITCHYARD_BROKER_PREFIX: nats.prefix,
        SWITCHYARD_DATABASE: pgUrl,
        SWITCHYARD_DATABASE_PREFIX: `${run}_pg_`,
        SWITCHYARD_REGISTRY: 'etcd://127.0.0.1:2379',
        SWITCHYARD_REGISTRY_PREFIX: `${run}/registry/`,
      },
      cleanup: all(brokerCleanup(nats.url, nats.prefix), dropSchemas(`${run}_pg_`), dropEtcd(`${run}/`)),
    },
    {
      name: 'RabbitMQ and PostgreSQL',
      env: {
        SWITCHYARD_BROKER: amqp.url,
        SWITCHYARD_BROKER_PREFIX: amqp.prefix,
        SWITCHYARD_DATABASE: pgUrl,
        SWITCHYARD_DATABASE_PREFIX: `${run}_mq_`,
      },
      cleanup: all(brokerCleanup(amqp.url, amqp.prefix), dropSchemas(`${run}_mq_`)),
    },
    {
      name: 'Redis Streams, with rate limits in Redis',
      env: {
        SWITCHYARD_BROKER: redis.url,
        SWITCHYARD_BROKER_PREFIX: redis.prefix,
        SWITCHYARD_REDIS_URL: redis.url,
        SWITCHYARD_REDIS_PREFIX: `${run}-rl`,
      },
      cleanup: brokerCleanup(redis.url, redis.prefix),
    },
  ];
}
