import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SwitchyardError } from '../../errors/index.js';
import type { BrokerAdapter, ChannelSpec, Consumer, ConsumerOptions, OutgoingMessage } from '../adapter.js';
import { RedisConsumer } from './consumer.js';
import { declareExpiring, removeIfExpired, sweepGroups, validateGroupExpiry } from './group-expiry.js';
import { lag } from './lag.js';
import { connect } from './link.js';
import { peek } from './peek.js';
import { Publisher } from './publisher.js';
import { deleteChannel, deleteGroup, ensureChannel, ensureGroup, touchChannel } from './topology.js';

export { keysFor, type Keys } from './topology.js';

export interface RedisStreamsBrokerOptions {
  /** `redis://[user:pass@]host:port[/db]`; default `redis://127.0.0.1:6379`. */
  url?: string;
  /** First part of every key; default `switchyard`. */
  prefix?: string;
  /**
   * How long a partition lease (and a member's heartbeat) lasts without renewal; default 5000 ms. A
   * member that dies without closing holds its partitions this long at most. Renewed every leaseMs / 4
   * (at most every 500 ms).
   */
  leaseMs?: number;
  /**
   * Whether the Redis server is configured to keep data across restarts (`appendonly yes`, ideally
   * `appendfsync always`). Redis gives no way to tell from the client, so it is declared here; it only
   * sets `capabilities.persistent`. Default false. See docs/messaging-redis.md.
   */
  persistent?: boolean;
  /**
   * How often the adapter, once it has consumed or peeked, removes the groups of its prefix that expired
   * idle (`ConsumerOptions.idleExpiryMs`); default 5000 ms. Such a group is gone for `peek`, `lag` and
   * `consume` as soon as its period runs out; the sweep deletes what is left of it in Redis.
   */
  groupSweepMs?: number;
}

export const defaultUrl = 'redis://127.0.0.1:6379';

/**
 * A broker adapter on Redis 7 Streams: a stream per partition, a consumer group per group, partition
 * ownership by lease keys, pending entries claimed with XAUTOCLAIM when a partition changes hands.
 */
export function redisStreamsBroker(options: RedisStreamsBrokerOptions = {}): BrokerAdapter {
  const url = options.url ?? defaultUrl;
  const prefix = options.prefix ?? 'switchyard';
  const leaseMs = options.leaseMs ?? 5_000;
  if (!Number.isFinite(leaseMs) || leaseMs < 200)
    throw new SwitchyardError('INVALID_ARGUMENT', 'leaseMs must be at least 200');
  const groupSweepMs = options.groupSweepMs ?? 5_000;
  if (!Number.isFinite(groupSweepMs) || groupSweepMs < 100)
    throw new SwitchyardError('INVALID_ARGUMENT', 'groupSweepMs must be at least 100');
  const tag = `${process.pid}-${randomUUID().slice(0, 8)}`;
  let closed = false;
  let opening: Promise<Redis> | undefined;
  /** The shared command connection, opened on first use. */
  const command = (): Promise<Redis> => {
    if (closed) return Promise.reject(new SwitchyardError('UNAVAILABLE', 'The Redis adapter is closed'));
    opening ??= connect({ url, name: `switchyard:${tag}`, pipelined: true }).catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };
  const publisher = new Publisher(command, prefix);
  const consumers = new Set<RedisConsumer>();

  async function ensure(spec: ChannelSpec): Promise<void> {
    publisher.remember(spec.name, await ensureChannel(await command(), prefix, spec));
  }

  // Expired groups are swept by the adapters that use the prefix (a killed `tail` cannot remove its
  // own group): started by the first consume or peek, one sweep at a time, a failed one left to the next.
  let sweeper: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> | undefined;
  function sweepExpiredGroups(): void {
    if (closed) return;
    sweeper ??= setInterval(() => {
      sweeping ??= command()
        .then((redis) => sweepGroups(redis, prefix))
        .catch(() => {})
        .finally(() => (sweeping = undefined));
    }, groupSweepMs).unref();
  }

  return {
    name: 'redis',
    capabilities: {
      publishDedup: false,
      persistent: options.persistent ?? false,
      brokerSideDelay: false,
      passivePeek: true,
      idleExpiry: true,
      groupIdleExpiry: true,
    },
    ensureChannel: ensure,
    async publish(messages: readonly OutgoingMessage[]) {
      await publisher.publish(messages);
    },
    consume(consumerOptions: ConsumerOptions): Consumer {
      const { channel, group, idleExpiryMs } = consumerOptions;
      sweepExpiredGroups();
      const consumer = new RedisConsumer(
        {
          command,
          url,
          prefix,
          leaseMs,
          prepare: async (redis) => {
            // Again after NOGROUP: the channel or group was deleted, or Redis restarted without
            // persistence. Its own group last, so that it starts where the consumer asks.
            if (idleExpiryMs !== undefined) validateGroupExpiry(idleExpiryMs, leaseMs);
            const others = channel.groups?.filter((g) => g !== group);
            publisher.remember(
              channel.name,
              await ensureChannel(redis, prefix, { ...channel, groups: others }),
            );
            // An expiring group is marked before it is created, so no sweep removes it in between; a
            // group that expired and awaits its sweep is removed first either way: this member starts
            // a new one rather than resume one that `peek` already reports gone.
            if (idleExpiryMs === undefined)
              await removeIfExpired(redis, prefix, channel.name, group, channel.partitions);
            else await declareExpiring(redis, prefix, channel, group, idleExpiryMs);
            await ensureGroup(redis, prefix, channel, group, consumerOptions.start);
            await touchChannel(redis, prefix, channel, [group]);
          },
        },
        consumerOptions,
      );
      consumers.add(consumer);
      // While it consumes, the channel's keys do not expire (a failed renewal is retried a third later).
      const keepAlive =
        channel.idleExpiryMs === undefined
          ? undefined
          : setInterval(
              () =>
                void command()
                  .then((redis) => touchChannel(redis, prefix, channel, [group]))
                  .catch(() => {}),
              Math.max(100, Math.floor(channel.idleExpiryMs / 3)),
            ).unref();
      const close = consumer.close.bind(consumer);
      consumer.close = async () => {
        clearInterval(keepAlive);
        consumers.delete(consumer);
        await close();
      };
      return consumer;
    },
    async peek(channel, group, peekOptions) {
      sweepExpiredGroups();
      return peek(await command(), prefix, channel, group, peekOptions);
    },
    async lag(channel, group) {
      return lag(await command(), prefix, channel, group);
    },
    async deleteChannel(name: string) {
      await deleteChannel(await command(), prefix, name);
      publisher.forget(name);
    },
    async deleteGroup(channel: string, group: string) {
      await deleteGroup(await command(), prefix, channel, group);
    },
    async close() {
      if (closed) return;
      await Promise.all([...consumers].map((c) => c.close()));
      clearInterval(sweeper);
      await sweeping;
      closed = true;
      const redis = await opening?.catch(() => undefined);
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
