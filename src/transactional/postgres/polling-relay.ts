import type { PoolClient } from 'pg';
import type { BrokerAdapter, ChannelSpec } from '../../messaging/adapter.js';
import { backoffMs, type BackoffSettings } from '../backoff.js';
import { reporter, type Reporting } from '../events.js';
import { messageOf } from '../outgoing.js';
import { describeError, positiveInteger, relayLoop, type Relay } from '../relay.js';
import { publishByLane } from '../relay-publish.js';
import { Wakeup } from '../wakeup.js';
import { listenForCommits } from './listener.js';
import type { PostgresStore } from './store.js';
import { startCleanup } from '../cleanup.js';

export interface PollingRelayOptions extends Reporting {
  readonly store: PostgresStore;
  readonly broker: BrokerAdapter;
  /** Most rows per batch (one transaction, one broker publish); default 500. */
  readonly batchSize?: number;
  /** Most lanes one batch locks; the other lanes stay free for other workers and relays. Default 16. */
  readonly lanesPerBatch?: number;
  /** Batches in flight at once in this relay, each on its own lanes; default 2. */
  readonly workers?: number;
  /** Poll period while idle, unless a NOTIFY (`notify: true` on the store) wakes it first; default 100 ms. */
  readonly pollIntervalMs?: number;
  /**
   * Poll period right after a batch found rows; it doubles with each empty poll up to `pollIntervalMs`.
   * Off by default. With e.g. 5, rows under steady traffic wait a few milliseconds rather than half a
   * poll period, for more polls: worth it when PostgreSQL has cores to spare, not when it shares two
   * with every service (the shop on one machine got slower with it).
   */
  readonly busyPollIntervalMs?: number;
  /** Backoff of a lane whose head row the broker refused, and of the relay when the database fails. */
  readonly retry?: BackoffSettings;
  /** Channels to ensure on the broker before relaying (publishing to a missing channel fails). */
  readonly channels?: readonly ChannelSpec[];
  /** How often published rows past retention (and old inbox ids) are deleted; default 60 s, 0 never. */
  readonly cleanupIntervalMs?: number;
}

interface Row {
  id: string;
  lane: number;
  channel: string;
  partition: number;
  message_id: string;
  headers: Record<string, string>;
  body: Buffer;
  attempts: number;
}

/**
 * The polling publisher. Each batch is one transaction that locks a few lanes (`FOR UPDATE SKIP
 * LOCKED` on the lane rows), reads their oldest unpublished rows in id order, publishes them, and marks
 * (or deletes) exactly the rows the broker confirmed before committing. Locking lanes rather than rows
 * is what keeps per-key order with several relays: with row locks, a second relay would skip a locked
 * row and publish the next row of the same partition before it. A relay killed mid-batch leaves its
 * rows unmarked; they go out again (at least once, and the inbox drops the repeat).
 */
export async function startPollingRelay(
  options: PollingRelayOptions,
): Promise<Relay & { runOnce(): Promise<number> }> {
  const { store, broker } = options;
  const { names } = store;
  const batchSize = positiveInteger(options.batchSize ?? 500, 'batchSize');
  const lanesPerBatch = positiveInteger(options.lanesPerBatch ?? 16, 'lanesPerBatch');
  const workerCount = positiveInteger(options.workers ?? 2, 'workers');
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const emit = reporter(options);
  const remove = store.retention.publishedMs === 0;
  for (const spec of options.channels ?? []) await broker.ensureChannel(spec);

  // Lanes with work, at most `lanesPerBatch`, and no more than this relay's share of them, so its
  // workers (and other relays) get lanes of their own and publish in parallel.
  const lockLanes = `WITH candidates AS MATERIALIZED (
      SELECT l.lane FROM ${names.lanes} l
      WHERE (l.blocked_until IS NULL OR l.blocked_until <= now())
        AND EXISTS (SELECT 1 FROM ${names.outbox} o WHERE o.lane = l.lane AND o.published_at IS NULL))
    SELECT l.lane, l.blocked_until IS NOT NULL AS was_blocked FROM ${names.lanes} l
    WHERE l.lane IN (SELECT lane FROM candidates)
    ORDER BY (l.lane + $2) % $3
    LIMIT LEAST($1, GREATEST(1, ceil((SELECT count(*) FROM candidates) / $4::numeric)))::integer
    FOR UPDATE OF l SKIP LOCKED`;
  const readRows = `SELECT o.id, o.lane, o.channel, o.partition, o.message_id, o.headers, o.body, o.attempts
    FROM unnest($1::integer[]) AS l(lane)
    CROSS JOIN LATERAL (SELECT * FROM ${names.outbox} x
      WHERE x.lane = l.lane AND x.published_at IS NULL ORDER BY x.id LIMIT $2) o
    ORDER BY o.lane, o.id`;
  const lag = `(extract(epoch FROM clock_timestamp() - created_at) * 1000)::float8 AS lag_ms`;
  const markRows = remove
    ? `DELETE FROM ${names.outbox} WHERE id = ANY($1::bigint[]) RETURNING ${lag}`
    : `UPDATE ${names.outbox} SET published_at = now() WHERE id = ANY($1::bigint[]) RETURNING ${lag}`;
  // A backlog grows faster than autovacuum analyzes the table: with statistics from when it was nearly
  // empty the planner fetches and sorts every unpublished row of a lane (bitmap or sequential scan) to
  // keep the first few, on every batch, and a drain after an outage turns quadratic. The partial index
  // on (lane, id) hands them out in order and stops at the limit; these make it the only plan left.
  const beginBatch = 'BEGIN; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off';
  const recordFailure = `UPDATE ${names.outbox} SET attempts = attempts + 1, last_error = $2 WHERE id = $1 RETURNING attempts`;
  const blockLane = `UPDATE ${names.lanes} SET blocked_until = now() + make_interval(secs => $2::float8 / 1000), last_error = $3 WHERE lane = $1`;
  const unblockLanes = `UPDATE ${names.lanes} SET blocked_until = NULL, last_error = NULL WHERE lane = ANY($1::integer[])`;

  async function batchOn(client: PoolClient): Promise<number> {
    const locked = (
      await client.query<{ lane: number; was_blocked: boolean }>(lockLanes, [
        lanesPerBatch,
        Math.floor(Math.random() * store.lanes),
        store.lanes,
        workerCount,
      ])
    ).rows;
    if (locked.length === 0) return 0;
    const perLane = Math.max(1, Math.ceil(batchSize / locked.length));
    const rows = (await client.query<Row>(readRows, [locked.map((l) => l.lane), perLane])).rows;
    const byLane = new Map<number, Row[]>();
    for (const row of rows) {
      const lane = byLane.get(row.lane);
      if (lane) lane.push(row);
      else byLane.set(row.lane, [row]);
    }
    const outcome = await publishByLane(broker, [...byLane.values()], messageOf);
    if (outcome.published.length > 0) {
      const marked = await client.query<{ lag_ms: number }>(markRows, [outcome.published.map((r) => r.id)]);
      emit({
        type: 'relayed',
        relay: 'polling',
        count: marked.rows.length,
        lagsMs: marked.rows.map((r) => r.lag_ms),
      });
    }
    const failedLanes = new Set<number>();
    for (const { row, error } of outcome.failures) {
      failedLanes.add(row.lane);
      const attempts = (
        await client.query<{ attempts: number }>(recordFailure, [row.id, describeError(error)])
      ).rows[0]!.attempts;
      const retryInMs = backoffMs(attempts, options.retry);
      await client.query(blockLane, [row.lane, retryInMs, describeError(error)]);
      emit({
        type: 'relay-failed',
        relay: 'polling',
        error,
        retryInMs,
        channel: row.channel,
        messageId: row.message_id,
        attempts,
      });
    }
    const recovered = locked.filter((l) => l.was_blocked && !failedLanes.has(l.lane)).map((l) => l.lane);
    if (recovered.length > 0) await client.query(unblockLanes, [recovered]);
    return rows.length;
  }

  /** One batch in its own transaction; the number of rows it looked at. */
  async function runOnce(): Promise<number> {
    const client = await store.pool.connect();
    let broken = false;
    try {
      await client.query(beginBatch);
      try {
        const count = await batchOn(client);
        await client.query('COMMIT');
        return count;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => void (broken = true));
        throw error;
      }
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  const wake = new Wakeup();
  const stopping = new AbortController();
  const listener = store.notify ? await listenForCommits(store, () => wake.notify()) : undefined;
  const cleanup = startCleanup(store, options.cleanupIntervalMs ?? 60_000, emit);

  const work = () =>
    relayLoop({
      mode: 'polling',
      runOnce,
      wake,
      idleMs: () => pollIntervalMs,
      ...(options.busyPollIntervalMs === undefined
        ? {}
        : {
            busyIdleMs: Math.min(
              positiveInteger(options.busyPollIntervalMs, 'busyPollIntervalMs'),
              pollIntervalMs,
            ),
          }),
      signal: stopping.signal,
      retry: options.retry,
      emit,
    });
  const workers = Array.from({ length: workerCount }, work);
  return {
    mode: 'polling',
    runOnce,
    async stop() {
      stopping.abort();
      wake.notify();
      await Promise.all(workers);
      cleanup.stop();
      await listener?.close();
    },
  };
}
