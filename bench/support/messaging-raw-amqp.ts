/**
 * RabbitMQ's raw baseline with amqplib: one durable direct exchange bound to one quorum queue;
 * publishes on a confirm channel, `persistent` and `mandatory`, each resolving on its confirm; a
 * consumer on its own channel with `prefetch(inFlight)` and a manual `ack` after the handler. One
 * connection for both, as the adapter has.
 */
import amqp from 'amqplib';
import type { MessagingSide, OpenSide, Receive } from './messaging-load.js';
import { decodeSample, encodeSample, runId } from './messaging-sample.js';

export const amqpUrl = 'amqp://guest:guest@127.0.0.1:5672';

export function rawAmqpSide(options: { inFlight: number }): MessagingSide {
  return {
    name: 'raw',
    async open(receive?: Receive): Promise<OpenSide> {
      const id = runId();
      const exchange = `bench.raw.${id}`;
      const queue = `bench.raw.${id}.q`;
      const connection = await amqp.connect(amqpUrl);
      try {
        const admin = await connection.createChannel();
        await admin.assertExchange(exchange, 'direct', { durable: true });
        await admin.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
        await admin.bindQueue(queue, exchange, 'k');
        const publisher = await connection.createConfirmChannel();
        if (receive) {
          const consumer = await connection.createChannel();
          await consumer.prefetch(options.inFlight);
          await consumer.consume(
            queue,
            (msg) => {
              if (!msg) return;
              receive(decodeSample(msg.content));
              consumer.ack(msg);
            },
            { noAck: false },
          );
        }
        return {
          publish: (sample) =>
            new Promise<void>((resolve, reject) => {
              publisher.publish(
                exchange,
                'k',
                encodeSample(sample),
                { persistent: true, mandatory: true },
                (error: unknown) => (error ? reject(error as Error) : resolve()),
              );
            }),
          async close() {
            try {
              await admin.deleteQueue(queue);
              await admin.deleteExchange(exchange);
            } finally {
              await connection.close();
            }
          },
        };
      } catch (error) {
        await connection.close().catch(() => undefined);
        throw error;
      }
    },
  };
}
