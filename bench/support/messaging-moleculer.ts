/**
 * The Moleculer side of a messaging comparison: `@moleculer/channels` on the same engine, in two
 * brokers of this process (a publisher with no services, and a consumer with one channel handler),
 * `logger: false`, no metrics, no tracing, no transporter (channels need none).
 *
 * Its guarantees, as configured per engine below:
 * - RabbitMQ: durable fanout exchange, a durable quorum queue per group, `persistent` messages,
 *   `prefetch(maxInFlight)` and a manual ack after the handler. Publishes go out on a plain channel:
 *   the adapter has no publisher confirms, so its publish resolves once the frame is written.
 * - NATS JetStream: a file-backed stream, `js.publish` awaiting its PubAck, a durable push consumer
 *   in a queue group with explicit ack and `max_ack_pending: maxInFlight`.
 * - Redis Streams: `XADD` awaiting its reply, `XREADGROUP COUNT maxInFlight BLOCK 0` on a connection
 *   of its own, an `XACK` per message after its handler.
 */
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { Middleware as ChannelsMiddleware } from '@moleculer/channels';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { ServiceBroker } from 'moleculer';
import { connect } from 'nats';
import type { MessagingSide, OpenSide, Receive } from './messaging-load.js';
import { runId, type Sample } from './messaging-sample.js';
import { amqpUrl } from './messaging-raw-amqp.js';
import { natsUrl } from './messaging-raw-nats.js';
import { redisUrl } from './messaging-raw-redis.js';

const version = (createRequire(import.meta.url)('@moleculer/channels/package.json') as { version: string })
  .version;

export const moleculerName = (engine: string) =>
  `@moleculer/channels ${version} (moleculer ${ServiceBroker.MOLECULER_VERSION}), ${engine} adapter`;

interface Engine {
  adapter(maxInFlight: number): Record<string, unknown>;
  /** Removes what the adapter created for `channel` and `group`. */
  cleanup(channel: string, group: string): Promise<void>;
  /** Waits out the adapter's refusal to buffer more, where it has one (see below). */
  publish?(broker: ServiceBroker, channel: string, sample: Sample): Promise<void>;
}

type Sender = ServiceBroker & {
  sendToChannel(channel: string, payload: unknown, opts?: object): Promise<void>;
  channelAdapter: { channel?: NodeJS.EventEmitter };
};

export const moleculerEngines = {
  rabbitmq: {
    adapter: (maxInFlight) => ({
      type: 'AMQP',
      options: {
        maxInFlight,
        amqp: {
          url: amqpUrl,
          queueOptions: { durable: true, arguments: { 'x-queue-type': 'quorum' } },
          exchangeOptions: { durable: true },
          messageOptions: { persistent: true },
        },
      },
    }),
    async cleanup(channel, group) {
      const connection = await amqp.connect(amqpUrl);
      try {
        const ch = await connection.createChannel();
        await ch.deleteQueue(`${group}.${channel}`);
        await ch.deleteExchange(channel);
      } finally {
        await connection.close();
      }
    },
    // amqplib buffers a publish even when `publish` returns false, but the adapter then throws "write
    // buffer is full": the message did go out, so wait for the socket to drain rather than fail.
    async publish(broker, channel, sample) {
      const sender = broker as Sender;
      try {
        await sender.sendToChannel(channel, sample);
      } catch (error) {
        const ch = sender.channelAdapter.channel;
        if (!ch || !/buffer is full/i.test(String(error))) throw error;
        await drained(ch);
      }
    },
  },
  jetstream: {
    adapter: (maxInFlight) => ({
      type: 'NATS',
      options: { maxInFlight, nats: { url: natsUrl, streamConfig: { storage: 'file' } } },
    }),
    async cleanup(channel) {
      const nc = await connect({ servers: natsUrl });
      try {
        const jsm = await nc.jetstreamManager();
        await jsm.streams.delete(channel.split('.').join('_'));
      } finally {
        await nc.close();
      }
    },
  },
  redis: {
    adapter: (maxInFlight) => ({ type: 'Redis', options: { maxInFlight, redis: redisUrl } }),
    async cleanup(channel) {
      const redis = new Redis(redisUrl);
      try {
        await redis.del(channel);
      } finally {
        await redis.quit();
      }
    },
  },
} satisfies Record<string, Engine>;

const group = 'bench';

/** One 'drain' wait shared by every publisher that hit the full buffer, not a listener each. */
const draining = new WeakMap<NodeJS.EventEmitter, Promise<unknown>>();
function drained(ch: NodeJS.EventEmitter): Promise<unknown> {
  let wait = draining.get(ch);
  if (!wait) {
    wait = once(ch, 'drain').finally(() => draining.delete(ch));
    draining.set(ch, wait);
  }
  return wait;
}

export function moleculerSide(engine: Engine, options: { maxInFlight: number }): MessagingSide {
  return {
    name: 'moleculer',
    async open(receive?: Receive): Promise<OpenSide> {
      const id = runId();
      const channel = `bench-mol-${id}`;
      const brokerOf = (role: string) =>
        new ServiceBroker({
          nodeID: `bench-${role}-${id}`,
          logger: false,
          metrics: false,
          tracing: false,
          middlewares: [
            ChannelsMiddleware({ adapter: engine.adapter(options.maxInFlight) } as never) as never,
          ],
        });
      const consumer = brokerOf('sub');
      consumer.createService({
        name: 'bench',
        channels: {
          [channel]: {
            group,
            maxInFlight: options.maxInFlight,
            handler: (payload: Sample) => receive?.(payload),
          },
        },
      } as never);
      const publisher = brokerOf('pub');
      try {
        // Subscribing creates the queue, stream or group; without a receiver it stops again, so a
        // publish-only measurement stores messages for the group as the other sides do.
        await consumer.start();
        if (!receive) await consumer.stop();
        await publisher.start();
      } catch (error) {
        await Promise.allSettled([consumer.stop(), publisher.stop()]);
        throw error;
      }
      const sender = publisher as Sender;
      return {
        publish: (sample) =>
          engine.publish ? engine.publish(publisher, channel, sample) : sender.sendToChannel(channel, sample),
        async close() {
          try {
            await publisher.stop();
            if (receive) await consumer.stop();
          } finally {
            await engine.cleanup(channel, group);
          }
        },
      };
    },
  };
}
