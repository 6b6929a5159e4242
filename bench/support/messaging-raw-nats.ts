/**
 * NATS JetStream's raw baseline with nats.js: a file-backed stream of one subject; `js.publish`
 * resolving on its PubAck; a durable pull consumer with explicit ack and `max_ack_pending` of
 * `inFlight`, read with `consumer.consume({ max_messages: inFlight })` and `msg.ack()` after the
 * handler. One connection for both, as the adapter has.
 */
import { AckPolicy, connect, DeliverPolicy, nanos, RetentionPolicy, StorageType } from 'nats';
import type { MessagingSide, OpenSide, Receive } from './messaging-load.js';
import { decodeSample, encodeSample, runId } from './messaging-sample.js';

export const natsUrl = 'nats://127.0.0.1:4222';

export function rawNatsSide(options: { inFlight: number }): MessagingSide {
  return {
    name: 'raw',
    async open(receive?: Receive): Promise<OpenSide> {
      const id = runId();
      const stream = `bench_raw_${id}`;
      const subject = `bench.raw.${id}`;
      const nc = await connect({ servers: natsUrl });
      try {
        const jsm = await nc.jetstreamManager();
        const js = nc.jetstream();
        await jsm.streams.add({
          name: stream,
          subjects: [subject],
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          num_replicas: 1,
        });
        await jsm.consumers.add(stream, {
          durable_name: 'bench',
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          max_ack_pending: options.inFlight,
          ack_wait: nanos(30_000),
        });
        let reading: Promise<void> | undefined;
        let stop: (() => void) | undefined;
        if (receive) {
          const consumer = await js.consumers.get(stream, 'bench');
          const messages = await consumer.consume({ max_messages: options.inFlight });
          stop = () => messages.stop();
          reading = (async () => {
            for await (const msg of messages) {
              receive(decodeSample(msg.data));
              msg.ack();
            }
          })();
        }
        return {
          publish: async (sample) => {
            await js.publish(subject, encodeSample(sample));
          },
          async close() {
            try {
              stop?.();
              await reading;
              await jsm.streams.delete(stream);
            } finally {
              await nc.close();
            }
          },
        };
      } catch (error) {
        await nc.close().catch(() => undefined);
        throw error;
      }
    },
  };
}
