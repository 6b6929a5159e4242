/**
 * Internal, for tests: the real engines on this machine, with unique names per use and cleanup that
 * removes what a test made (schemas, slots, publications, broker prefixes).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PoolConfig } from 'pg';
import type {
  BrokerAdapter,
  ChannelSpec,
  Consumer,
  Delivery,
  OutgoingMessage,
} from '../../messaging/adapter.js';
import { partitionFor } from '../../messaging/partition.js';
import { jetStreamBroker } from '../../messaging/jetstream/index.js';
import { deletePrefixStreams } from '../../messaging/jetstream/purge.js';
import { rabbitMqBroker } from '../../messaging/rabbitmq/index.js';
import { redisStreamsBroker } from '../../messaging/redis/index.js';
import { deleteKeys } from '../../messaging/redis/purge.js';
import { loadPg } from '../postgres/driver.js';

export const pgConnection: PoolConfig = {
  connectionString: process.env.SWITCHYARD_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};
export const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A lower-case name no other run uses (valid as a schema, slot, publication, prefix or channel). */
export const unique = (kind: string): string => `sy_${kind}_${randomBytes(5).toString('hex')}`;

/** Runs SQL on its own connection (setup and cleanup outside the store under test). */
export async function adminQuery<R = Record<string, unknown>>(
  sql: string,
  values: unknown[] = [],
): Promise<R[]> {
  const pg = await loadPg();
  const client = new pg.Client(pgConnection);
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as R[];
  } finally {
    await client.end();
  }
}

/**
 * Drops what log tailing made (slot first: a leftover logical slot keeps WAL forever) and the schema.
 * An active slot (its relay still shutting down) is waited for, then its backend terminated.
 */
export async function dropPostgres(options: {
  schema: string;
  slot?: string;
  publication?: string;
}): Promise<void> {
  if (options.slot) {
    for (let i = 0; ; i++) {
      const rows = await adminQuery<{ active_pid: number | null }>(
        `SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1`,
        [options.slot],
      );
      if (rows.length === 0) break;
      const pid = rows[0]!.active_pid;
      if (pid === null) {
        await adminQuery(`SELECT pg_drop_replication_slot($1)`, [options.slot]).catch(() => {});
        continue;
      }
      if (i > 20) await adminQuery(`SELECT pg_terminate_backend($1)`, [pid]);
      await sleep(100);
    }
  }
  if (options.publication) await adminQuery(`DROP PUBLICATION IF EXISTS "${options.publication}"`);
  await adminQuery(`DROP SCHEMA IF EXISTS "${options.schema}" CASCADE`);
}

export type EngineName = 'jetstream' | 'redis' | 'rabbitmq';

export interface TestBroker {
  readonly engine: EngineName;
  readonly url: string | undefined;
  readonly adapter: BrokerAdapter;
  readonly prefix: string;
  /** A fresh adapter on the same engine and prefix (a relay or consumer of its own). */
  another(): BrokerAdapter;
  /** Closes the adapters and deletes everything under the prefix. */
  dispose(channels: readonly string[]): Promise<void>;
}

/** The adapter tests use for an engine and prefix (child processes build the same one from the environment). */
export function brokerFor(engine: EngineName, prefix: string, url?: string): BrokerAdapter {
  return engine === 'jetstream'
    ? jetStreamBroker({ servers: url ?? natsUrl, prefix: prefix.replaceAll('-', '_'), leaseMs: 2_000 })
    : engine === 'redis'
      ? redisStreamsBroker({ url: url ?? redisUrl, prefix, leaseMs: 1_000, persistent: true })
      : rabbitMqBroker({ url: url ?? amqpUrl, prefix });
}

export function testBroker(engine: EngineName, url?: string): TestBroker {
  const prefix = unique(engine).replaceAll('_', '-');
  const make = (): BrokerAdapter => brokerFor(engine, prefix, url);
  const adapters: BrokerAdapter[] = [make()];
  return {
    engine,
    url,
    adapter: adapters[0]!,
    prefix,
    another() {
      const adapter = make();
      adapters.push(adapter);
      return adapter;
    },
    async dispose(channels) {
      for (const name of channels) await adapters[0]!.deleteChannel(name).catch(() => {});
      await Promise.all(adapters.map((a) => a.close().catch(() => {})));
      if (engine === 'jetstream') await deletePrefixStreams(url ?? natsUrl, prefix.replaceAll('-', '_'));
      if (engine === 'redis') await deleteKeys(url ?? redisUrl, `${prefix}:*`);
    },
  };
}

/** A consumer that records every delivery (in arrival order) and acknowledges it. */
export class Collector {
  readonly received: Delivery[] = [];
  readonly assigned = new Set<number>();
  private readonly consumer: Consumer;
  private readonly done: Promise<void>;

  constructor(adapter: BrokerAdapter, spec: ChannelSpec, group = 'collector') {
    const consumer = adapter.consume({
      channel: spec,
      group,
      member: unique('member'),
      onEvent: (event) => {
        if (event.type === 'assigned') for (const p of event.partitions) this.assigned.add(p);
        if (event.type === 'revoked') for (const p of event.partitions) this.assigned.delete(p);
      },
    });
    this.consumer = consumer;
    this.done = (async () => {
      for await (const delivery of consumer) {
        this.received.push(delivery);
        await delivery.ack();
      }
    })();
  }

  ids(): string[] {
    return this.received.map((d) => d.id);
  }

  async close(): Promise<void> {
    await this.consumer.close();
    await this.done;
  }
}

/** Polls `condition` until true; fails with `what()` after `ms`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  ms: number,
  what: () => string,
) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await sleep(20);
  }
}

/** Message `seq` of `key` on a channel: `key` and `seq` headers, id `<channel>:<key>:<seq>`. */
export const keyed = (spec: ChannelSpec, key: string, seq: number): OutgoingMessage => ({
  channel: spec.name,
  partition: partitionFor(key, spec.partitions),
  id: `${spec.name}:${key}:${seq}`,
  headers: { key, seq: String(seq) },
  body: new TextEncoder().encode(JSON.stringify({ key, seq })),
});
