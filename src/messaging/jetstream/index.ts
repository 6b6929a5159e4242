import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { SwitchyardError } from '../../errors/index.js';
import {
  checkGroupIdleExpiry,
  type BrokerAdapter,
  type ChannelSpec,
  type Consumer,
  type ConsumerOptions,
  type OutgoingMessage,
} from '../adapter.js';
import { JetStreamConsumer } from './consumer.js';
import { IdleExpiry } from './expiry.js';
import { lag } from './lag.js';
import { Link, loadNats } from './link.js';
import { peek } from './peek.js';
import { Publisher } from './publisher.js';
import {
  checkSpec,
  declareChannel,
  declareGroup,
  isNotFound,
  namesFor,
  storedPartitions,
  validPrefix,
  type TopologySettings,
} from './topology.js';
import { assertPartitionInRange } from '../partition.js';

export { namesFor, token, type Names } from './topology.js';

export interface JetStreamBrokerOptions {
  /** NATS server URL(s); default `nats://127.0.0.1:4222`. Ignored when `connection` is given. */
  servers?: string | string[];
  /** A connection the caller owns; the adapter does not close it. */
  connection?: NatsConnection;
  /** First part of every stream, subject and the lease bucket (`[A-Za-z0-9_-]+`); default `switchyard`. */
  prefix?: string;
  /**
   * Partition lease duration (the TTL of the `<prefix>_leases` KV bucket, fixed when the bucket is
   * created) and the durable consumers' ack_wait; default 6000. A member that dies loses its
   * partitions, and its unacknowledged message is redelivered, after about this long.
   */
  leaseMs?: number;
  /** Window in which a repeated `Nats-Msg-Id` is dropped by the stream; default 120000 (capped by retention). */
  dedupWindowMs?: number;
  /**
   * How long one pull request stays open on the server; default 1000. A partition leaving a member
   * (a closing consumer, say) waits up to this + 250 ms for its request to end.
   */
  pullExpiresMs?: number;
  /** How long `publish` keeps retrying one unconfirmed message (same id, so no duplicates); default 10000. */
  publishTimeoutMs?: number;
  /** Stream replicas (clustered JetStream); default 1. */
  replicas?: number;
  /**
   * How often the channels of the prefix idle past their `idleExpiryMs` are looked for and removed;
   * default 60000, 0: never by this adapter. All adapters of a prefix sweep once per period together
   * (the period of the first one to create the `<prefix>_sweep` bucket).
   */
  expirySweepMs?: number;
}

export interface JetStreamBroker extends BrokerAdapter {
  /** Removes the channels of the prefix idle past their `idleExpiryMs` now (also done on a timer). Returns their names. */
  sweepIdle(): Promise<string[]>;
}

/** A broker adapter on NATS JetStream 2.9+: a stream per channel, a durable pull consumer per group and partition. */
export function jetStreamBroker(options: JetStreamBrokerOptions = {}): JetStreamBroker {
  const prefix = validPrefix(options.prefix ?? 'switchyard');
  const leaseMs = options.leaseMs ?? 6_000;
  const settings: TopologySettings = {
    prefix,
    dedupWindowMs: options.dedupWindowMs ?? 120_000,
    replicas: options.replicas ?? 1,
  };
  const link = new Link({
    servers: options.servers,
    connection: options.connection,
    name: `switchyard ${process.pid} ${randomUUID().slice(0, 8)}`,
    bucket: `${prefix}_leases`,
    leaseMs,
  });
  const publisher = new Publisher(link, { prefix, publishTimeoutMs: options.publishTimeoutMs ?? 10_000 });
  const consumers = new Set<JetStreamConsumer>();
  /** Partition counts of channels ensured through this adapter (publish range checks). */
  const declared = new Map<string, number>();
  /** Idle expiries of the channels ensured through this adapter, as their streams keep them. */
  const expiring = new Map<string, number>();
  const expiry = new IdleExpiry(link, {
    prefix,
    sweepMs: options.expirySweepMs ?? 60_000,
    remove: (name) => removeChannel(name),
  });
  let closed = false;

  /** The channel's stream, and a durable consumer per partition for each of `spec.groups`. */
  async function ensureChannel(spec: ChannelSpec): Promise<void> {
    await ensureStream(spec);
    for (const group of spec.groups ?? []) await ensureGroup(spec, group);
  }

  /** The channel's stream, with the marker of its idle expiry. */
  async function ensureStream(spec: ChannelSpec): Promise<void> {
    const nats = await loadNats();
    const { jsm } = await link.get();
    expiry.start();
    checkSpec(spec);
    // Declaring is a use, marked before the stream exists: no sweep sees the stream without its marker.
    if (spec.idleExpiryMs !== undefined) await expiry.touch(spec.name, spec.idleExpiryMs);
    const { idleExpiryMs } = await declareChannel(nats, jsm, settings, spec);
    if (idleExpiryMs !== undefined && idleExpiryMs !== spec.idleExpiryMs)
      await expiry.touch(spec.name, idleExpiryMs);
    if (idleExpiryMs === undefined) expiring.delete(spec.name);
    else expiring.set(spec.name, idleExpiryMs);
    declared.set(spec.name, spec.partitions);
  }

  /**
   * A group's durable consumers (one per partition). Returns the group's idle expiry as its durables
   * keep it: `idleExpiryMs` only for a group created here.
   */
  async function ensureGroup(
    spec: ChannelSpec,
    group: string,
    options: Pick<ConsumerOptions, 'start' | 'idleExpiryMs'> = {},
  ): Promise<number | undefined> {
    checkGroupIdleExpiry(spec.name, group, options.idleExpiryMs);
    const nats = await loadNats();
    const { jsm } = await link.get();
    const { ttlMs } = await link.kv();
    return declareGroup(nats, jsm, namesFor(prefix, spec.name), group, spec.partitions, {
      ackWaitMs: ttlMs,
      ...options,
    });
  }

  /** The stream (with every durable consumer) and the channel's memberships and leases. */
  async function removeChannel(name: string): Promise<void> {
    const { jsm } = await link.get();
    const names = namesFor(prefix, name);
    try {
      await jsm.streams.delete(names.stream);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await jsm.streams
      .purge(`KV_${prefix}_leases`, { filter: `$KV.${prefix}_leases.${names.keys}` })
      .catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    declared.delete(name);
    expiring.delete(name);
  }

  return {
    name: 'jetstream',
    capabilities: {
      publishDedup: true,
      persistent: true,
      brokerSideDelay: true,
      passivePeek: true,
      idleExpiry: true,
      groupIdleExpiry: true,
    },
    ensureChannel: (spec) => ensureChannel(spec),
    async publish(messages: readonly OutgoingMessage[]) {
      expiry.start();
      for (const m of messages) {
        assertPartitionInRange(m, declared.get(m.channel));
      }
      await publisher.publish(await loadNats(), messages);
    },
    consume(consumerOptions: ConsumerOptions): Consumer {
      if (closed) throw new SwitchyardError('UNAVAILABLE', 'The JetStream adapter is closed');
      const { channel, group } = consumerOptions;
      const consumer = new JetStreamConsumer(
        {
          link,
          prefix,
          pullExpiresMs: options.pullExpiresMs ?? 1_000,
          // Re-declared after deleteChannel, a lost stream or an expired group, like every (re)subscription.
          prepare: async () => {
            await ensureStream(channel);
            const { start, idleExpiryMs } = consumerOptions;
            return ensureGroup(channel, group, { start, idleExpiryMs });
          },
          touch: async () => {
            const idleExpiryMs = expiring.get(channel.name);
            if (idleExpiryMs !== undefined) await expiry.touch(channel.name, idleExpiryMs).catch(() => {});
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
      const { jsm } = await link.get();
      return peek(jsm, namesFor(prefix, channel), channel, group, peekOptions);
    },
    async lag(channel, group) {
      const { jsm } = await link.get();
      return lag(jsm, namesFor(prefix, channel), channel, group);
    },
    deleteChannel: (name: string) => removeChannel(name),
    sweepIdle: () => expiry.sweep(),
    async deleteGroup(channel: string, group: string) {
      const { jsm } = await link.get();
      const names = namesFor(prefix, channel);
      const partitions = (await storedPartitions(jsm, names)) ?? 0;
      for (let p = 0; p < partitions; p++)
        await jsm.consumers.delete(names.stream, names.durable(group, p)).catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
      await jsm.streams
        .purge(`KV_${prefix}_leases`, { filter: `$KV.${prefix}_leases.${names.groupKeys(group)}` })
        .catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
    },
    async close() {
      closed = true;
      await Promise.all([...consumers].map((c) => c.close()));
      publisher.close();
      await expiry.close();
      await link.close();
    },
  };
}
