import type { ClientBase } from 'pg';
import type { BrokerAdapter } from '../../../messaging/adapter.js';
import { backoffMs, type BackoffSettings } from '../../backoff.js';
import type { TransactionalEvent } from '../../events.js';
import { describeError, pause } from '../../relay.js';
import { publishByLane } from '../../relay-publish.js';
import type { PostgresStore } from '../store.js';
import { TransactionAssembler, type StreamedRow, type StreamedTransaction } from './decoder.js';
import { parseLsn, type Lsn } from './pgoutput.js';
import { ReplicationConnection } from './replication.js';
import { ensurePublication, freeSlot, slotState, type SlotNames } from './slot.js';

export interface SessionSettings {
  readonly store: PostgresStore;
  readonly broker: BrokerAdapter;
  readonly names: SlotNames;
  readonly batchSize: number;
  readonly maxBuffered: number;
  readonly statusIntervalMs: number;
  readonly retry: BackoffSettings | undefined;
  readonly emit: (event: TransactionalEvent) => void;
  /** Aborted on stop, and when the leader lock's connection is lost. */
  readonly signal: AbortSignal;
}

/**
 * One term as leader: set up publication and slot, publish what committed before a new slot, then
 * stream. Transactions are published in commit order, a batch at a time (whole transactions, so the
 * acknowledged position never splits one); the slot's position moves only after the broker confirmed
 * everything before it. Ends when `signal` aborts (after the batch in flight) or the stream fails.
 */
export async function leadTerm(lock: ClientBase, s: SessionSettings): Promise<void> {
  const { store, names } = s;
  await ensurePublication(lock, store.names, names.publication);
  const repl = await ReplicationConnection.open(store.connectionConfig());
  try {
    let state = await slotState(lock, names.slot);
    if (!state.exists) {
      const { snapshot } = await repl.createSlot(names.slot);
      const backlog = await idsVisibleIn(store, snapshot);
      await publishBacklog(backlog, s);
      state = await slotState(lock, names.slot);
    } else if (state.activePid !== null) {
      await freeSlot(lock, names.slot, 2_000);
    }
    if (s.signal.aborted) return;
    await stream(repl, state.confirmed ? parseLsn(state.confirmed) : 0n, lock, s);
  } finally {
    await repl.close();
  }
}

async function stream(repl: ReplicationConnection, from: Lsn, lock: ClientBase, s: SessionSettings) {
  const ready: StreamedTransaction[] = [];
  let confirmed = from;
  let buffered = 0;
  let paused = false;
  let publishing = false;
  let unacknowledged = 0;
  let acknowledging: Promise<void> = Promise.resolve();
  let markFailure: unknown;
  let wake: (() => void) | undefined;
  const signalReady = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const assembler = new TransactionAssembler(s.store.names, (tx) => {
    ready.push(tx);
    buffered += tx.rows.length;
    if (!paused && buffered > s.maxBuffered) {
      paused = true;
      repl.pause();
    }
    signalReady();
  });
  const acknowledge = (lsn: Lsn) => {
    if (lsn > confirmed) confirmed = lsn;
    repl.acknowledge(confirmed);
  };

  let failure: unknown;
  const streaming = repl
    .stream(
      { slot: s.names.slot, publication: s.names.publication, from },
      {
        onMessage: (message) => assembler.push(message),
        onKeepalive: (walEnd, replyRequested) => {
          // Nothing received is pending: WAL up to the server's position holds nothing for us.
          if (!publishing && ready.length === 0 && !assembler.inTransaction && walEnd > confirmed)
            acknowledge(walEnd);
          else if (replyRequested) acknowledge(confirmed);
        },
      },
    )
    .catch((error: unknown) => void (failure = error))
    .finally(signalReady);
  let ended = false;
  void streaming.then(() => (ended = true));
  const onAbort = () => signalReady();
  s.signal.addEventListener('abort', onAbort);
  const status = setInterval(() => {
    acknowledge(confirmed);
    lock
      .query<{ bytes: number | null }>(
        `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 AS bytes
         FROM pg_replication_slots WHERE slot_name = $1`,
        [s.names.slot],
      )
      .then((r) => s.emit({ type: 'replication-lag', bytes: Math.max(0, r.rows[0]?.bytes ?? 0) }))
      .catch(() => {});
  }, s.statusIntervalMs);

  try {
    while (!s.signal.aborted && !ended) {
      if (ready.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const batch: StreamedTransaction[] = [];
      let count = 0;
      while (ready.length > 0 && (count === 0 || count + ready[0]!.rows.length <= s.batchSize)) {
        const tx = ready.shift()!;
        batch.push(tx);
        count += tx.rows.length;
      }
      publishing = true;
      const rows = batch.flatMap((tx) => tx.rows.map((row) => ({ ...row, sinceMs: tx.commitTimeMs })));
      const marks: Promise<void>[] = [];
      for (let i = 0; i < rows.length; i += s.batchSize)
        await deliver(rows.slice(i, i + s.batchSize), s, marks);
      publishing = false;
      // Rows are marked while the next batch goes out; the position moves once both are done, in order.
      const lsn = batch[batch.length - 1]!.endLsn;
      const marked = Promise.all(marks);
      unacknowledged++;
      acknowledging = acknowledging
        .then(() => marked)
        .then(
          () => {
            unacknowledged--;
            acknowledge(lsn);
          },
          (error: unknown) => void (markFailure ??= error),
        );
      while (unacknowledged > 1 && markFailure === undefined) await acknowledging;
      if (markFailure !== undefined) throw markFailure;
      buffered -= rows.length;
      if (paused && buffered <= s.maxBuffered / 2) {
        paused = false;
        repl.resume();
      }
    }
    await acknowledging;
    if (markFailure !== undefined) throw markFailure;
  } finally {
    clearInterval(status);
    s.signal.removeEventListener('abort', onAbort);
  }
  if (failure && !s.signal.aborted) throw failure;
}

/**
 * Publishes rows in order until the broker took them all, marking each confirmed row. A refused
 * row holds back its lane (and the stream behind this batch); it is retried with backoff, recorded on
 * its outbox row, and dropped from the batch only if someone deleted that row or marked it published.
 */
async function deliver(rows: readonly TimedRow[], s: SessionSettings, marks: Promise<void>[]): Promise<void> {
  let remaining = rows;
  for (let failures = 0; remaining.length > 0;) {
    const lanes = new Map<string, TimedRow[]>();
    for (const row of remaining) {
      const key = `${row.message.channel}\u0000${row.message.partition}`;
      const lane = lanes.get(key);
      if (lane) lane.push(row);
      else lanes.set(key, [row]);
    }
    const outcome = await publishByLane(s.broker, [...lanes.values()], (row) => row.message);
    if (outcome.published.length > 0) {
      marks.push(
        markPublished(
          s.store,
          outcome.published.map((r) => r.id),
        ),
      );
      const now = Date.now();
      s.emit({
        type: 'relayed',
        relay: 'log-tailing',
        count: outcome.published.length,
        lagsMs: outcome.published.map((r) => Math.max(0, now - r.sinceMs)),
      });
    }
    if (outcome.failures.length === 0) return;
    failures++;
    const retryInMs = backoffMs(failures, s.retry);
    for (const { row, error } of outcome.failures) {
      await s.store.pool
        .query(`UPDATE ${s.store.names.outbox} SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [
          row.id,
          describeError(error),
        ])
        .catch(() => {});
      s.emit({
        type: 'relay-failed',
        relay: 'log-tailing',
        error,
        retryInMs,
        channel: row.message.channel,
        messageId: row.message.id,
        attempts: failures,
      });
    }
    await pause(retryInMs, s.signal);
    if (s.signal.aborted) throw new Error('stopped with messages unpublished');
    const published = new Set(outcome.published);
    const left = remaining.filter((r) => !published.has(r));
    const stillThere = new Set(
      (
        await s.store.pool.query<{ id: string }>(
          `SELECT id::text FROM ${s.store.names.outbox} WHERE id = ANY($1::bigint[]) AND published_at IS NULL`,
          [left.map((r) => r.id)],
        )
      ).rows.map((r) => r.id),
    );
    remaining = left.filter((r) => stillThere.has(r.id));
  }
}

/** A row and the time it became visible (its commit, or its creation for rows from before the slot). */
interface TimedRow extends StreamedRow {
  readonly sinceMs: number;
}

/**
 * Marks (or deletes) published rows. The walsender may stream a transaction in the instant between
 * its commit record reaching the WAL and the commit becoming visible to other sessions, so a row can
 * be invisible to this update for a moment: rows not found are tried again, briefly, and left alone
 * after that (deleted by someone meanwhile).
 */
async function markPublished(store: PostgresStore, ids: readonly string[]): Promise<void> {
  const { outbox } = store.names;
  const sql =
    store.retention.publishedMs === 0
      ? `DELETE FROM ${outbox} WHERE id = ANY($1::bigint[]) RETURNING id::text`
      : `UPDATE ${outbox} SET published_at = coalesce(published_at, now()) WHERE id = ANY($1::bigint[]) RETURNING id::text`;
  let missing = ids;
  for (let delay = 5; missing.length > 0 && delay <= 1_280; delay *= 2) {
    const found = new Set((await store.pool.query<{ id: string }>(sql, [missing])).rows.map((r) => r.id));
    missing = missing.filter((id) => !found.has(id));
    if (missing.length > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** Ids of unpublished rows visible in an exported snapshot: what committed before the slot existed. */
async function idsVisibleIn(store: PostgresStore, snapshot: string): Promise<string[]> {
  const client = await store.pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replaceAll("'", "''")}'`);
    const rows = await client.query<{ id: string }>(
      `SELECT id::text FROM ${store.names.outbox} WHERE published_at IS NULL ORDER BY id`,
    );
    await client.query('COMMIT');
    return rows.rows.map((r) => r.id);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

async function publishBacklog(ids: readonly string[], s: SessionSettings): Promise<void> {
  for (let i = 0; i < ids.length && !s.signal.aborted; i += s.batchSize) {
    const rows = await s.store.pool.query<{
      id: string;
      channel: string;
      partition: number;
      message_id: string;
      headers: Record<string, string>;
      body: Buffer;
      created_ms: number;
    }>(
      `SELECT id::text, channel, partition, message_id, headers, body,
         (extract(epoch FROM created_at) * 1000)::float8 AS created_ms FROM ${s.store.names.outbox}
       WHERE id = ANY($1::bigint[]) AND published_at IS NULL ORDER BY id`,
      [ids.slice(i, i + s.batchSize)],
    );
    const marks: Promise<void>[] = [];
    await deliver(
      rows.rows.map((r) => ({
        id: r.id,
        message: {
          channel: r.channel,
          partition: r.partition,
          id: r.message_id,
          headers: r.headers,
          body: r.body,
        },
        sinceMs: r.created_ms,
      })),
      s,
      marks,
    );
    await Promise.all(marks);
  }
}
