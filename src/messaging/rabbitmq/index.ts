import { randomUUID } from 'node:crypto';
import type { BrokerAdapter, ChannelSpec, Consumer, ConsumerOptions, OutgoingMessage } from '../adapter.js';
import { RabbitConsumer } from './consumer.js';
import { lag } from './lag.js';
import { kLink, Link } from './link.js';
import { LeaseMemo, partitionQueues, peek } from './peek.js';
import { Publisher } from './publisher.js';
import {
  declareChannel,
  declareGroup,
  deleteGroupQueues,
  deleteTopology,
  namesFor,
  type TopologySettings,
} from './topology.js';
import { assertPartitionInRange } from '../partition.js';

export { namesFor, type Names } from './topology.js';

export interface RabbitMqBrokerOptions {
  /** `amqp://user:pass@host:port/vhost`; default `amqp://guest:guest@127.0.0.1:5672`. */
  url?: string;
  /** First part of every exchange and queue name; default `switchyard`. */
  prefix?: string;
  /**
   * Groups to declare with each channel in `ensureChannel`, by channel name, on top of the channel's own
   * `ChannelSpec.groups` (the way to name them for every engine; this option predates it).
   */
  groups?: Readonly<Record<string, readonly string[]>>;
  /**
   * Most messages kept in `<prefix>.<channel>.unrouted`, where messages go that were published while
   * their partition had no group queue (oldest dropped first); default 100 000.
   */
  unroutedMaxLength?: number;
  /** RabbitMQ's own poison limit per message (`x-delivery-limit`); default 1000. */
  deliveryLimit?: number;
  /**
   * How often a member that does not own a partition sends it a probe, to learn it took over after
   * another member died (RabbitMQ's single active consumer sends no notice); default 2000 ms.
   */
  probeIntervalMs?: number;
  /** AMQP heartbeat interval (unless the url sets `heartbeat=`); default 10 s. */
  heartbeatSeconds?: number;
}

export interface RabbitMqBroker extends BrokerAdapter {
  /** @internal The adapter's connection, for tests that cut it. */
  readonly [kLink]: Link;
  /** Declares a group's partition queues so it receives every message published from now on. */
  ensureGroup(spec: ChannelSpec, group: string): Promise<void>;
}

export const defaultUrl = 'amqp://guest:guest@127.0.0.1:5672';

/** A broker adapter on RabbitMQ 3.10+: per-partition quorum queues with single active consumer. */
export function rabbitMqBroker(options: RabbitMqBrokerOptions = {}): RabbitMqBroker {
  const url = options.url ?? defaultUrl;
  const settings: TopologySettings = {
    prefix: options.prefix ?? 'switchyard',
    deliveryLimit: options.deliveryLimit ?? 1000,
    unroutedMaxLength: options.unroutedMaxLength ?? 100_000,
  };
  const link = new Link({
    url,
    connectionName: `switchyard ${process.pid} ${randomUUID().slice(0, 8)}`,
    heartbeatSeconds: options.heartbeatSeconds ?? 10,
  });
  const publisher = new Publisher(link, settings.prefix);
  const consumers = new Set<RabbitConsumer>();
  /** Groups declared through this adapter, by channel: group → partitions (for deleteChannel). */
  const known = new Map<string, Map<string, number>>();
  const declared = new Map<string, number>();
  const leases = new LeaseMemo();

  function remember(spec: ChannelSpec, group: string): void {
    const groups = known.get(spec.name) ?? new Map<string, number>();
    groups.set(group, spec.partitions);
    known.set(spec.name, groups);
  }

  /** Declares the channel and its groups: RabbitMQ keeps nothing for a group whose queues do not exist yet. */
  async function ensureChannel(spec: ChannelSpec): Promise<void> {
    const model = await link.get();
    await declareChannel(model, settings, spec);
    declared.set(spec.name, spec.partitions);
    for (const group of new Set([...(spec.groups ?? []), ...(options.groups?.[spec.name] ?? [])])) {
      await declareGroup(model, settings, spec, group);
      remember(spec, group);
    }
  }

  async function ensureGroup(spec: ChannelSpec, group: string): Promise<void> {
    const model = await link.get();
    if (declared.get(spec.name) !== spec.partitions) await ensureChannel(spec);
    await declareGroup(model, settings, spec, group);
    remember(spec, group);
  }

  return {
    [kLink]: link,
    name: 'rabbitmq',
    capabilities: {
      publishDedup: false,
      persistent: true,
      brokerSideDelay: false,
      passivePeek: false,
      lagReadyOnly: true,
      idleExpiry: true,
      groupIdleExpiry: true,
    },
    ensureChannel,
    ensureGroup,
    async publish(messages: readonly OutgoingMessage[]) {
      for (const m of messages) {
        assertPartitionInRange(m, declared.get(m.channel));
      }
      await publisher.publish(messages);
    },
    consume(consumerOptions: ConsumerOptions): Consumer {
      const { channel, group, idleExpiryMs } = consumerOptions;
      const consumer = new RabbitConsumer(
        {
          link,
          prefix: settings.prefix,
          probeIntervalMs: options.probeIntervalMs ?? 2_000,
          prepare: async (model) => {
            // Re-declared on every (re)subscription: after a broker restart, or after deleteChannel.
            await declareChannel(model, settings, channel);
            declared.set(channel.name, channel.partitions);
            const lease = await declareGroup(model, settings, channel, group, { idleExpiryMs });
            remember(channel, group);
            return lease;
          },
        },
        consumerOptions,
      );
      consumers.add(consumer);
      const close = consumer.close.bind(consumer);
      consumer.close = async () => {
        consumers.delete(consumer);
        await close();
      };
      return consumer;
    },
    async peek(channel, group, peekOptions) {
      const model = await link.get();
      return peek(
        model,
        { prefix: settings.prefix, partitions: declared.get(channel) },
        channel,
        group,
        peekOptions,
      );
    },
    async lag(channel, group) {
      return lag(
        await link.get(),
        { prefix: settings.prefix, partitions: declared.get(channel) },
        channel,
        group,
        leases,
      );
    },
    async deleteChannel(name: string) {
      const model = await link.get();
      await deleteTopology(model, settings, name, known.get(name) ?? new Map());
      known.delete(name);
      declared.delete(name);
    },
    async deleteGroup(channel: string, group: string) {
      const model = await link.get();
      const names = namesFor(settings.prefix, channel);
      // Found by name from partition 0 up where this adapter has not declared the channel.
      const queues = await partitionQueues(model, names, group, declared.get(channel));
      const partitions = Math.max(queues.length, known.get(channel)?.get(group) ?? 0);
      await deleteGroupQueues(model, settings, channel, group, partitions);
      known.get(channel)?.delete(group);
    },
    async close() {
      await Promise.all([...consumers].map((c) => c.close()));
      await publisher.close();
      await link.close();
    },
  };
}
