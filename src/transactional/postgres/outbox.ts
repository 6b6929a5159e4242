import type { ClientBase } from 'pg';
import type { OutgoingMessage } from '../../messaging/adapter.js';
import type { MessageSink } from '../types.js';
import { laneFor } from '../lanes.js';
import { assertOutgoing, bufferOf } from '../outgoing.js';
import type { PgNames } from './schema.js';

export interface OutboxTarget {
  readonly names: PgNames;
  readonly lanes: number;
  /** Signal polling relays (LISTEN) at commit. */
  readonly notify: boolean;
}

/**
 * One statement per `publish`, whatever the number of messages (arrays unnested server-side), prepared
 * once per connection. With `notify`, the same statement queues a NOTIFY: PostgreSQL delivers it at
 * commit and drops it on rollback, and folds repeats within a transaction into one.
 */
function insertStatements(target: OutboxTarget): { one: Statement; many: Statement } {
  const { names, notify } = target;
  const suffix = `${names.schema}${notify ? '_n' : ''}`;
  const signal = notify ? `, pg_notify('${names.notifyChannel}', '')` : '';
  const columns = columnsOf(names);
  return {
    // The common case of one message skips array literals and unnest, which cost more than the insert.
    one: {
      name: `sy_outbox_insert_one_${suffix}`,
      text: `WITH inserted AS (INSERT INTO ${columns} VALUES ($1, $2, $3, $4, $5, $6) RETURNING 1)
SELECT count(*)::integer AS n${signal} FROM inserted`,
    },
    many: {
      name: `sy_outbox_insert_${suffix}`,
      text: `WITH inserted AS (
  INSERT INTO ${columns}
  SELECT * FROM unnest($1::integer[], $2::text[], $3::integer[], $4::text[], $5::jsonb[], $6::bytea[])
  RETURNING 1
) SELECT count(*)::integer AS n${signal} FROM inserted`,
    },
  };
}

const columnsOf = (names: PgNames) => `${names.outbox} (lane, channel, partition, message_id, headers, body)`;

interface Statement {
  readonly name: string;
  readonly text: string;
}

/** A sink writing to the outbox through `client`, which must be inside a transaction the caller controls. */
export function postgresOutbox(client: ClientBase, target: OutboxTarget): MessageSink {
  const statements = insertStatements(target);
  return {
    async publish(messages: readonly OutgoingMessage[]) {
      if (messages.length === 0) return;
      if (messages.length === 1) {
        const m = messages[0]!;
        assertOutgoing(m);
        await client.query({
          ...statements.one,
          values: [
            laneFor(m.channel, m.partition, target.lanes),
            m.channel,
            m.partition,
            m.id,
            JSON.stringify(m.headers),
            bufferOf(m.body),
          ],
        });
        return;
      }
      const lanes: number[] = [];
      const channels: string[] = [];
      const partitions: number[] = [];
      const ids: string[] = [];
      const headers: string[] = [];
      const bodies: Buffer[] = [];
      for (const m of messages) {
        assertOutgoing(m);
        lanes.push(laneFor(m.channel, m.partition, target.lanes));
        channels.push(m.channel);
        partitions.push(m.partition);
        ids.push(m.id);
        headers.push(JSON.stringify(m.headers));
        bodies.push(bufferOf(m.body));
      }
      await client.query({ ...statements.many, values: [lanes, channels, partitions, ids, headers, bodies] });
    },
  };
}

/** Bodies up to this size (per transaction) go with the COMMIT as hex literals; larger ones are bound. */
const inlineBytes = 64 * 1024;

/**
 * The outbox of a transaction the store runs itself: rows wait in memory and go to the server with
 * the COMMIT, in one simple-protocol query. node-postgres does not pipeline, so writing them at
 * `publish` would cost the writer one more round trip per transaction. Values go in as literals:
 * text escaped by the driver, bodies as hex through decode(), numbers checked as integers first.
 * A write failure therefore surfaces at commit, which rolls the whole transaction back.
 */
export function deferredOutbox(
  client: ClientBase,
  target: OutboxTarget,
): MessageSink & { commitStatement(): string } {
  const { names, notify } = target;
  const bound = postgresOutbox(client, target);
  let rows: string[] = [];
  let bytes = 0;
  const insert = () => `INSERT INTO ${columnsOf(names)} VALUES ${rows.join(', ')}`;

  return {
    async publish(messages: readonly OutgoingMessage[]) {
      for (const m of messages) assertOutgoing(m);
      const size = messages.reduce((sum, m) => sum + m.body.byteLength, 0);
      if (bytes + size > inlineBytes) {
        // Rows already waiting go first, so the outbox keeps the order of the publish calls.
        if (rows.length > 0) await client.query(insert());
        rows = [];
        bytes = 0;
        await bound.publish(messages);
        return;
      }
      bytes += size;
      for (const m of messages)
        rows.push(
          `(${laneFor(m.channel, m.partition, target.lanes)}, ${client.escapeLiteral(m.channel)}, ${m.partition}, ` +
            `${client.escapeLiteral(m.id)}, ${client.escapeLiteral(JSON.stringify(m.headers))}, ` +
            `decode('${bufferOf(m.body).toString('hex')}', 'hex'))`,
        );
    },
    commitStatement() {
      if (rows.length === 0) return 'COMMIT';
      const signal = notify ? `; SELECT pg_notify(${client.escapeLiteral(names.notifyChannel)}, '')` : '';
      return `${insert()}${signal}; COMMIT`;
    },
  };
}
