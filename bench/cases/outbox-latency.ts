/**
 * Commit-to-consumer latency through the outbox at half the maximum commit rate: from the moment
 * COMMIT returned to the moment a consumer of the broker got the message. The baseline is the same
 * transaction without the outbox, publishing straight to the broker right after COMMIT (the dual write
 * the outbox replaces: fast, but a crash between the two loses the message).
 */
import type { ChannelSpec, OutgoingMessage } from '../../src/messaging/adapter.js';
import { partitionFor } from '../../src/messaging/partition.js';
import { silentLogger } from '../../src/transactional/events.js';
import { startLogTailingRelay } from '../../src/transactional/postgres/log-tailing/relay.js';
import { startPollingRelay } from '../../src/transactional/postgres/polling-relay.js';
import type { Relay } from '../../src/transactional/relay.js';
import { benchStore, bodyBytes, unique } from '../../src/transactional/testing/bench-support.js';
import { testBroker } from '../../src/transactional/testing/engines.js';
import type { BenchCase } from '../case.js';
import { opsPerSecond, percentile } from '../measure.js';

const group = 'outbox';
const writers = 16;
const phaseMs = 4_000;

interface Latencies {
  rate: number;
  logTailing: number[];
  polling: number[];
  direct: number[];
}

let measured: Promise<Latencies> | undefined;

async function measure(): Promise<Latencies> {
  const { store, dispose } = await benchStore(writers + 4);
  const b = testBroker('jetstream');
  const channel: ChannelSpec = { name: unique('latency'), partitions: 8 };
  try {
    await b.adapter.ensureChannel(channel);
    const received = new Map<string, number>();
    const consumer = b.adapter.consume({ channel, group: 'bench', member: unique('m') });
    const consuming = (async () => {
      for await (const d of consumer) {
        received.set(d.id, performance.now());
        void d.ack();
      }
    })();
    const orders = `"${store.names.schema}".orders`;
    await store.pool.query(`CREATE TABLE ${orders} (id bigserial PRIMARY KEY, total numeric)`);
    let n = 0;
    const message = (): OutgoingMessage => {
      const id = `m${n++}`;
      return {
        channel: channel.name,
        partition: partitionFor(id, 8),
        id,
        headers: {},
        body: Buffer.alloc(bodyBytes),
      };
    };
    const insert = (tx: { query(sql: string): Promise<unknown> }) =>
      tx.query(`INSERT INTO ${orders} (total) VALUES (1)`);
    const viaOutbox = async (): Promise<Commit> => {
      const m = message();
      await store.transaction(async (tx) => {
        await insert(tx);
        await tx.outbox.publish([m]);
      });
      return { id: m.id, committed: performance.now() };
    };
    const maxRate = await opsPerSecond(viaOutbox, { durationMs: 2_000, warmupMs: 500, concurrency: writers });
    const rate = maxRate / 2;
    // Rows of the rate measurement are not part of any phase.
    await store.pool.query(`UPDATE ${store.names.outbox} SET published_at = now()`);

    const logTailing = await phase(rate, received, viaOutbox, () =>
      startLogTailingRelay({ store, broker: b.another(), logger: silentLogger }),
    );
    const polling = await phase(rate, received, viaOutbox, () =>
      startPollingRelay({ store, broker: b.another(), logger: silentLogger }),
    );
    const direct = await phase(rate, received, async () => {
      const m = message();
      await store.transaction((tx) => insert(tx));
      const committed = performance.now();
      await b.adapter.publish([m]);
      return { id: m.id, committed };
    });
    await consumer.close();
    await consuming;
    return { rate, logTailing, polling, direct };
  } finally {
    await b.dispose([channel.name]);
    await dispose();
  }
}

interface Commit {
  id: string;
  committed: number;
}

/**
 * Commits at `rate` per second for `phaseMs` (writers keep a fixed schedule, so a slow commit does not
 * lower the offered rate), waits for the consumer to get them, and returns each message's
 * commit-to-consumer time in milliseconds.
 */
async function phase(
  rate: number,
  received: Map<string, number>,
  write: () => Promise<Commit>,
  startRelay?: () => Promise<Relay & { leader?: boolean }>,
): Promise<number[]> {
  const relay = await startRelay?.();
  while (relay && relay.leader === false) await new Promise((resolve) => setTimeout(resolve, 20));
  const commits: Commit[] = [];
  const interval = (1_000 * writers) / rate;
  const ends = performance.now() + phaseMs;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let next = performance.now() + (w * interval) / writers; next < ends; next += interval) {
        const wait = next - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        commits.push(await write());
      }
    }),
  );
  const deadline = performance.now() + 10_000;
  while (commits.some((c) => !received.has(c.id)) && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  await relay?.stop();
  const lost = commits.filter((c) => !received.has(c.id)).length;
  if (lost > 0) throw new Error(`${lost} of ${commits.length} messages never reached the consumer`);
  return commits.map((c) => received.get(c.id)! - c.committed);
}

function latencyCase(name: string, pick: (l: Latencies) => number[], p: number, goal?: string): BenchCase {
  return {
    name,
    group,
    unit: 'ms',
    higherIsBetter: false,
    async run() {
      measured ??= measure();
      const l = await measured;
      return {
        switchyard: percentile(pick(l), p),
        baseline: percentile(l.direct, p),
        baselineName: 'the same insert, then a direct broker publish after COMMIT (no outbox)',
        notes: `${Math.round(l.rate)} commits/s (half the measured maximum), NATS JetStream${goal ? `; ${goal}` : ''}`,
      };
    },
  };
}

export const cases: BenchCase[] = [
  latencyCase('outbox: log tailing commit-to-consumer p50', (l) => l.logTailing, 50, 'goal p50 under 20 ms'),
  latencyCase('outbox: log tailing commit-to-consumer p99', (l) => l.logTailing, 99),
  latencyCase('outbox: polling relay commit-to-consumer p50', (l) => l.polling, 50),
];
