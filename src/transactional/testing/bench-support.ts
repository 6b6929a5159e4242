/**
 * Internal, for bench/cases/outbox-*.ts: stores, prefilled backlogs and raw confirmed-publish loops of
 * the same engines, so each case compares Switchyard with the raw client in the same run.
 */
import type { ChannelSpec } from '../../messaging/adapter.js';
import { namesFor as jetStreamNames } from '../../messaging/jetstream/index.js';
import { loadNats } from '../../messaging/jetstream/link.js';
import { namesFor as rabbitNames } from '../../messaging/rabbitmq/index.js';
import { laneFor } from '../lanes.js';
import { openPostgresStore, type PostgresStore } from '../postgres/store.js';
import { amqpUrl, dropPostgres, natsUrl, pgConnection, unique } from './engines.js';

export const bodyBytes = 256;

export async function benchStore(
  max = 20,
  notify = false,
): Promise<{ store: PostgresStore; dispose(): Promise<void> }> {
  const schema = unique('bench');
  const store = await openPostgresStore({ connection: { ...pgConnection, max }, schema, notify });
  return {
    store,
    async dispose() {
      await store.close();
      await dropPostgres({ schema, slot: `sy_outbox_${schema}`, publication: `sy_outbox_${schema}` });
    },
  };
}

/**
 * `count` committed outbox rows of `bodyBytes` each, spread over the channel's partitions, written
 * server-side by transactions of `rowsPerTransaction` rows: a backlog piles up from many transactions,
 * and the log-tailing relay receives each as soon as it is decoded, where one huge transaction would
 * reach it only once all of it was.
 */
export async function prefill(
  store: PostgresStore,
  channel: ChannelSpec,
  count: number,
  rowsPerTransaction = 100,
): Promise<void> {
  const lanes = Array.from({ length: channel.partitions }, (_, p) => laneFor(channel.name, p, store.lanes));
  const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;
  // A DO block may COMMIT between statements; it takes no parameters, so values go in as literals.
  await store.pool.query(`DO $fill$
    DECLARE lane_ids integer[] := ARRAY[${lanes.join(',')}]::integer[];
    BEGIN
      FOR head IN 0..${count - 1} BY ${rowsPerTransaction} LOOP
        INSERT INTO ${store.names.outbox} (lane, channel, partition, message_id, headers, body)
        SELECT lane_ids[i % ${channel.partitions} + 1], ${literal(channel.name)}, i % ${channel.partitions},
          ${literal(channel.name)} || ':' || i, '{"ce-type":"bench"}'::jsonb,
          decode(repeat('ab', ${bodyBytes}), 'hex')
        FROM generate_series(head, least(head + ${rowsPerTransaction}, ${count}) - 1) AS i;
        COMMIT;
      END LOOP;
    END $fill$`);
}

/**
 * Raw nats.js: `js.publish` with a message id, `window` in flight, awaiting every PubAck, into the
 * stream the adapter made for `channel`. Messages per second.
 */
export async function rawJetStreamRate(prefix: string, channel: ChannelSpec, count: number, window: number) {
  const nats = await loadNats();
  const nc = await nats.connect({ servers: natsUrl });
  try {
    const js = nc.jetstream();
    const names = jetStreamNames(prefix, channel.name);
    const body = new Uint8Array(bodyBytes).fill(0xab);
    const started = performance.now();
    for (let i = 0; i < count; i += window) {
      const acks: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(count, i + window); j++) {
        const headers = nats.headers();
        headers.set('ce-type', 'bench');
        acks.push(js.publish(names.subject(j % channel.partitions), body, { msgID: `raw:${j}`, headers }));
      }
      await Promise.all(acks);
    }
    return count / ((performance.now() - started) / 1000);
  } finally {
    await nc.close();
  }
}

/** Raw amqplib: a confirm channel publishing `window` messages then waiting for their confirms. */
export async function rawRabbitRate(prefix: string, channel: ChannelSpec, count: number, window: number) {
  const amqp = await import('amqplib');
  const connection = await amqp.connect(amqpUrl);
  try {
    const ch = await connection.createConfirmChannel();
    const exchange = rabbitNames(prefix, channel.name).exchange;
    const body = Buffer.alloc(bodyBytes, 0xab);
    const started = performance.now();
    for (let i = 0; i < count; i += window) {
      for (let j = i; j < Math.min(count, i + window); j++)
        ch.publish(exchange, `p${j % channel.partitions}`, body, {
          persistent: true,
          mandatory: true,
          messageId: `raw:${j}`,
          headers: { 'ce-type': 'bench' },
        });
      await ch.waitForConfirms();
    }
    await ch.close();
    return count / ((performance.now() - started) / 1000);
  } finally {
    await connection.close();
  }
}

export { unique };
