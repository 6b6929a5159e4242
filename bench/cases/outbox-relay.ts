/**
 * Relay throughput: each relay drains a pre-filled backlog of 100 000 committed outbox rows into the
 * broker, against the raw client of the same broker publishing as many messages with confirms, the
 * same number in flight, into the same topology.
 */
import type { ChannelSpec } from '../../src/messaging/adapter.js';
import type { RabbitMqBroker } from '../../src/messaging/rabbitmq/index.js';
import { silentLogger, type TransactionalEvent } from '../../src/transactional/events.js';
import { startLogTailingRelay } from '../../src/transactional/postgres/log-tailing/relay.js';
import { startPollingRelay } from '../../src/transactional/postgres/polling-relay.js';
import type { Relay } from '../../src/transactional/relay.js';
import {
  benchStore,
  prefill,
  rawJetStreamRate,
  rawRabbitRate,
  unique,
} from '../../src/transactional/testing/bench-support.js';
import { testBroker } from '../../src/transactional/testing/engines.js';
import type { BenchCase } from '../case.js';
import { median, spread } from '../measure.js';

const group = 'outbox';
const backlog = 100_000;
const batchSize = 1_000;

type Mode = 'polling' | 'log-tailing';
type Engine = 'jetstream' | 'rabbitmq';

/** Rounds per side, alternating which goes first: one drain on a small shared machine swings by a third. */
const rounds = 3;

function drainCase(mode: Mode, engine: Engine): BenchCase {
  const brokerName = engine === 'jetstream' ? 'NATS JetStream' : 'RabbitMQ';
  return {
    name: `outbox: ${mode} relay drains 100k rows into ${brokerName}`,
    group,
    unit: 'msg/s',
    higherIsBetter: true,
    goal: { minRatio: 0.8, description: `at least 80% of the raw confirmed-publish rate of ${brokerName}` },
    async run() {
      const { store, dispose } = await benchStore(8);
      const b = testBroker(engine);
      const start = (onEvent?: (e: TransactionalEvent) => void): Promise<Relay & { leader?: boolean }> =>
        mode === 'polling'
          ? startPollingRelay({ store, broker: b.adapter, batchSize, logger: silentLogger, onEvent })
          : startLogTailingRelay({ store, broker: b.adapter, batchSize, logger: silentLogger, onEvent });
      // Each round drains into a channel of its own, deleted after it, so no queue or stream grows.
      const withChannel = async (measure: (channel: ChannelSpec) => Promise<number>) => {
        const channel: ChannelSpec = { name: unique('drain'), partitions: 8 };
        try {
          await b.adapter.ensureChannel(channel);
          if (engine === 'rabbitmq') await (b.adapter as RabbitMqBroker).ensureGroup(channel, 'bench');
          return await measure(channel);
        } finally {
          await b.adapter.deleteChannel(channel.name).catch(() => {});
        }
      };
      const drain = (channel: ChannelSpec) => drainRate(start, async () => prefill(store, channel, backlog));
      const raw = (channel: ChannelSpec) =>
        engine === 'jetstream'
          ? rawJetStreamRate(b.prefix.replaceAll('-', '_'), channel, backlog, batchSize)
          : rawRabbitRate(b.prefix, channel, backlog, batchSize);
      try {
        if (mode === 'log-tailing') {
          // The slot must exist before the rows are written, or they would come from its snapshot.
          const relay = await start();
          while (!relay.leader) await new Promise((resolve) => setTimeout(resolve, 20));
          await relay.stop();
        }
        const relayed: number[] = [];
        const rawRates: number[] = [];
        for (let round = 0; round < rounds; round++) {
          const sides = [
            async () => relayed.push(await withChannel(drain)),
            async () => rawRates.push(await withChannel(raw)),
          ];
          if (round % 2 === 1) sides.reverse();
          for (const side of sides) await side();
        }
        return {
          switchyard: median(relayed),
          baseline: median(rawRates),
          baselineName:
            engine === 'jetstream'
              ? `raw nats.js js.publish with msgID, ${batchSize} in flight, every PubAck awaited`
              : `raw amqplib confirm channel, ${batchSize} published then waitForConfirms`,
          notes:
            `${backlog} rows of 256 bytes over 8 partitions, committed 100 per transaction; batches of ${batchSize}; ` +
            `medians of ${rounds} alternating rounds, per-round ratio ${spread(relayed.map((r, i) => r / rawRates[i]!))}`,
        };
      } finally {
        await b.dispose([]);
        await dispose();
      }
    },
  };
}

/** Writes the backlog, then times a fresh relay from its start until it relayed every row. */
async function drainRate(
  start: (onEvent: (e: TransactionalEvent) => void) => Promise<Relay>,
  fill: () => Promise<void>,
): Promise<number> {
  await fill();
  let relayed = 0;
  let drained!: () => void;
  const done = new Promise<void>((resolve) => (drained = resolve));
  const began = performance.now();
  const relay = await start((e) => {
    if (e.type === 'relayed' && (relayed += e.count) >= backlog) drained();
  });
  await done;
  const rate = backlog / ((performance.now() - began) / 1000);
  await relay.stop();
  return rate;
}

export const cases: BenchCase[] = [
  drainCase('polling', 'jetstream'),
  drainCase('log-tailing', 'jetstream'),
  drainCase('polling', 'rabbitmq'),
  drainCase('log-tailing', 'rabbitmq'),
];
