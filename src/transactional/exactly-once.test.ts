/**
 * The exactly-once proof: outbox + an at-least-once broker + the inbox apply every business effect
 * exactly once, in per-key order, while relays, the consumer and the broker are killed mid-flight.
 *
 * One run of SWITCHYARD_EXACTLY_ONCE_MESSAGES messages (default 50 000) on the shared PostgreSQL and a
 * private Redis (restarted; Redis Streams has no publish de-duplication, so every duplicate a killed
 * relay re-publishes reaches the consumer and only the inbox stands between it and a second effect).
 * The first half is relayed by two polling relays, the second by two log-tailing relays (the new slot
 * takes over what polling left unpublished). Killed: a polling relay mid-batch, the consumer
 * mid-handler, the log-tailing leader mid-batch; restarted: Redis. Writers are paced by the consumer,
 * so relays are busy whenever one is killed.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChannelSpec } from '../messaging/adapter.js';
import { partitionFor } from '../messaging/partition.js';
import { startPrivateRedis } from '../messaging/redis/private-redis.js';
import { openPostgresStore } from './postgres/store.js';
import { spawnChild, type Child } from './testing/children.js';
import type { ConsumerProcessSpec } from './testing/consumer-process.js';
import { dropPostgres, pgConnection, testBroker, unique } from './testing/engines.js';
import type { RelayProcessSpec } from './testing/relay-process.js';

const keys = 200;
const perKey = Math.ceil(Number(process.env.SWITCHYARD_EXACTLY_ONCE_MESSAGES ?? 50_000) / keys);
const expected = keys * perKey;
const debug = process.env.SWITCHYARD_EXACTLY_ONCE_DEBUG !== undefined;

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => console.error(e));
});

test(`exactly-once effects over ${expected} messages: relays of both modes and the consumer SIGKILLed, the broker restarted`, async () => {
  const schema = unique('once');
  const slot = `sy_outbox_${schema}`;
  const store = await openPostgresStore({ connection: { ...pgConnection, max: 4 }, schema, lanes: 32 });
  cleanups.push(async () => {
    await store.close();
    await dropPostgres({ schema, slot, publication: slot });
  });
  await store.pool.query(`CREATE TABLE "${schema}".effects (
    id bigserial PRIMARY KEY, key text NOT NULL, seq integer NOT NULL, message_id text NOT NULL)`);
  const redis = await startPrivateRedis();
  cleanups.push(() => redis.stop());
  const channel: ChannelSpec = { name: unique('ledger'), partitions: 16 };
  const broker = testBroker('redis', redis.url);
  cleanups.push(() => broker.dispose([channel.name]));
  await broker.adapter.ensureChannel(channel);

  const children: Child[] = [];
  const start = (script: string, env: Record<string, string>) => {
    const child = spawnChild(script, env);
    children.push(child);
    cleanups.push(() => child.stop());
    return child;
  };
  const common = {
    pgUrl: String(pgConnection.connectionString),
    schema,
    engine: 'redis' as const,
    brokerUrl: redis.url,
    prefix: broker.prefix,
  };
  const startRelay = (mode: RelayProcessSpec['mode']) => {
    const spec: RelayProcessSpec = { ...common, mode, channels: [channel], batchSize: 200, slot };
    return start('./relay-process.ts', { SWITCHYARD_RELAY: JSON.stringify(spec) });
  };
  const startConsumer = () => {
    const spec: ConsumerProcessSpec = { ...common, channel, group: 'ledger', member: unique('member') };
    return start('./consumer-process.ts', { SWITCHYARD_CONSUMER: JSON.stringify(spec) });
  };

  let consumer = startConsumer();
  await consumer.waitFor((l) => l.type === 'assigned');
  let relays = [startRelay('polling'), startRelay('polling')];

  let effects = 0;
  const began = Date.now();
  const progress = (async () => {
    while (effects < expected) {
      effects = Number((await store.pool.query(`SELECT count(*) AS n FROM "${schema}".effects`)).rows[0].n);
      if (debug) console.error(`${Date.now() - began} ms: ${effects} effects`);
      await sleep(100);
    }
  })();
  const reach = async (fraction: number) => {
    const deadline = Date.now() + 240_000;
    while (effects < expected * fraction) {
      if (Date.now() > deadline)
        throw new Error(`stuck at ${effects} effects; ${children.map((c) => c.stderr).join('\n---\n')}`);
      await sleep(50);
    }
  };

  // Two writers, each owning half the keys, write one seq of each of their keys per transaction,
  // staying at most `ahead` seqs in front of the effects so the relays always have work.
  const ahead = 10;
  const writing = Promise.all(
    [0, 1].map(async (writer) => {
      const own = Array.from({ length: keys / 2 }, (_, i) => `k${writer * (keys / 2) + i}`);
      for (let seq = 0; seq < perKey; seq++) {
        while (seq - effects / keys > ahead) await sleep(20);
        await store.transaction((tx) =>
          tx.outbox.publish(
            own.map((key) => ({
              channel: channel.name,
              partition: partitionFor(key, channel.partitions),
              id: `${key}:${seq}`,
              headers: { key, seq: String(seq) },
              body: Buffer.from(`${key} ${seq}`),
            })),
          ),
        );
      }
    }),
  );
  const busy = (relay: Child) => {
    const seen = relay.lines.length;
    return relay.waitFor((l) => l.type === 'relayed' && relay.lines.indexOf(l) >= seen, 60_000);
  };

  // Polling: one relay killed between batches' publish and mark, somewhere mid-stream.
  await reach(0.1);
  await busy(relays[0]!);
  await relays[0]!.kill();
  relays = [relays[1]!, startRelay('polling')];

  await reach(0.25);
  await consumer.kill();
  consumer = startConsumer();

  // Log tailing takes over: the new slot's snapshot carries what polling left unpublished.
  await reach(0.4);
  await Promise.all(relays.map((r) => r.stop()));
  relays = [startRelay('log-tailing'), startRelay('log-tailing')];

  await reach(0.55);
  await redis.restart(500);

  await reach(0.7);
  const leader = await leaderOf(relays);
  await busy(leader);
  await leader.kill();
  relays.push(startRelay('log-tailing'));

  await writing;
  await reach(1);
  await progress;
  // Duplicates of the last batches may still be on their way: let them arrive (and be skipped).
  await sleep(2_000);

  const summary = (
    await store.pool.query(
      `SELECT count(*)::int AS effects, count(DISTINCT message_id)::int AS messages FROM "${schema}".effects`,
    )
  ).rows[0];
  assert.deepEqual(summary, { effects: expected, messages: expected }, 'every effect applied exactly once');
  const disorder = await store.pool.query(
    `SELECT key, seq, prev FROM (
       SELECT key, seq, lag(seq) OVER (PARTITION BY key ORDER BY id) AS prev FROM "${schema}".effects
     ) t WHERE coalesce(prev, -1) + 1 <> seq LIMIT 5`,
  );
  assert.deepEqual(disorder.rows, [], 'each key applied in order 0, 1, 2, …');
  assert.equal((await store.backlog()).unpublished, 0);
  if (debug) console.error(`done in ${Date.now() - began} ms`);
});

/** The child relay that reports being the log-tailing leader now. */
async function leaderOf(relays: readonly Child[]): Promise<Child> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    for (const relay of relays) {
      if (relay.process.exitCode !== null || relay.process.signalCode !== null) continue;
      const last = [...relay.lines].reverse().find((l) => l.type === 'leadership');
      if (last?.leader === true) return relay;
    }
    if (Date.now() > deadline) throw new Error('no log-tailing relay is the leader');
    await sleep(50);
  }
}
