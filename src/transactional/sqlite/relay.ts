import { randomUUID } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { BrokerAdapter, ChannelSpec } from '../../messaging/adapter.js';
import { backoffMs, type BackoffSettings } from '../backoff.js';
import { startCleanup } from '../cleanup.js';
import { reporter, type Reporting } from '../events.js';
import { describeError, positiveInteger, relayLoop, type Relay } from '../relay.js';
import { publishByLane } from '../relay-publish.js';
import { Wakeup } from '../wakeup.js';
import { commitsOf, type SqliteStore } from './store.js';

export interface SqliteRelayOptions extends Reporting {
  readonly store: SqliteStore;
  readonly broker: BrokerAdapter;
  /** Most rows per broker publish; default 500. */
  readonly batchSize?: number;
  /**
   * One relay per database file is active at a time (a lease row); another process's relay takes over
   * this long after the active one stopped renewing. Default 5000 ms.
   */
  readonly leaseMs?: number;
  /**
   * A safety net only: commits in this process wake the relay at once, and commits by other processes
   * through the WAL file's change notifications. Default 5000 ms.
   */
  readonly pollIntervalMs?: number;
  readonly retry?: BackoffSettings;
  readonly channels?: readonly ChannelSpec[];
  /** Default 60 s; 0 never. */
  readonly cleanupIntervalMs?: number;
}

interface Row {
  id: number;
  channel: string;
  partition: number;
  message_id: string;
  headers: string;
  body: Buffer;
  created_at: number;
}

/**
 * The SQLite relay: in the service's process or another on the same machine. SQLite serializes
 * writers, so row ids follow commit order and one active relay (the lease holder) keeps every
 * partition's order. A refused row holds back only its own partition until its backoff ends.
 */
export async function startSqliteRelay(
  options: SqliteRelayOptions,
): Promise<Relay & { runOnce(): Promise<number> }> {
  const { store, broker } = options;
  const batchSize = positiveInteger(options.batchSize ?? 500, 'batchSize');
  const leaseMs = positiveInteger(options.leaseMs ?? 5_000, 'leaseMs');
  const pollIntervalMs = options.pollIntervalMs ?? 5_000;
  const emit = reporter(options);
  const owner = randomUUID();
  const remove = store.retention.publishedMs === 0;
  for (const spec of options.channels ?? []) await broker.ensureChannel(spec);

  const { db } = store;
  const claimLease = db.prepare(`INSERT INTO sy_relay_lease (name, owner, expires_at) VALUES ('outbox', ?, ?)
    ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
    WHERE sy_relay_lease.owner = excluded.owner OR sy_relay_lease.expires_at < ?`);
  const releaseLease = db.prepare(`DELETE FROM sy_relay_lease WHERE name = 'outbox' AND owner = ?`);
  const readRows = db.prepare(`SELECT id, channel, partition, message_id, headers, body, created_at
    FROM sy_outbox o
    WHERE published_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM sy_outbox h WHERE h.published_at IS NULL AND h.next_attempt_at IS NOT NULL
        AND h.channel = o.channel AND h.partition = o.partition AND h.next_attempt_at > ?)
    ORDER BY id LIMIT ?`);
  const markRow = remove
    ? db.prepare(`DELETE FROM sy_outbox WHERE id = ?`)
    : db.prepare(`UPDATE sy_outbox SET published_at = ?, next_attempt_at = NULL WHERE id = ?`);
  const recordFailure =
    db.prepare(`UPDATE sy_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
    WHERE id = ? RETURNING attempts`);

  let leaseUntil = 0;
  const holdLease = () =>
    store.exclusive(() => {
      const now = Date.now();
      if (leaseUntil - now > (leaseMs * 2) / 3) return true;
      const held = claimLease.run(owner, now + leaseMs, now).changes === 1;
      leaseUntil = held ? now + leaseMs : 0;
      return held;
    });

  async function runOnce(): Promise<number> {
    if (!(await holdLease())) return 0;
    const rows = await store.exclusive(() => readRows.all(Date.now(), batchSize) as Row[]);
    if (rows.length === 0) return 0;
    const lanes = new Map<string, Row[]>();
    for (const row of rows) {
      const key = `${row.channel}\u0000${row.partition}`;
      const lane = lanes.get(key);
      if (lane) lane.push(row);
      else lanes.set(key, [row]);
    }
    const outcome = await publishByLane(broker, [...lanes.values()], (row) => ({
      channel: row.channel,
      partition: row.partition,
      id: row.message_id,
      headers: JSON.parse(row.headers) as Record<string, string>,
      body: row.body,
    }));
    const failed = await store.exclusive(() =>
      db
        .transaction(() => {
          const now = Date.now();
          for (const row of outcome.published) markRow.run(...(remove ? [row.id] : [now, row.id]));
          return outcome.failures.map(({ row, error }) => {
            const attempts = (recordFailure.get(describeError(error), now, row.id) as { attempts: number })
              .attempts;
            const retryInMs = backoffMs(attempts, options.retry);
            db.prepare(`UPDATE sy_outbox SET next_attempt_at = ? WHERE id = ?`).run(now + retryInMs, row.id);
            return { row, error, attempts, retryInMs };
          });
        })
        .immediate(),
    );
    if (outcome.published.length > 0) {
      const now = Date.now();
      emit({
        type: 'relayed',
        relay: 'sqlite',
        count: outcome.published.length,
        lagsMs: outcome.published.map((r) => now - r.created_at),
      });
    }
    for (const { row, error, attempts, retryInMs } of failed)
      emit({
        type: 'relay-failed',
        relay: 'sqlite',
        error,
        retryInMs,
        channel: row.channel,
        messageId: row.message_id,
        attempts,
      });
    return rows.length;
  }

  const wake = new Wakeup();
  const stopping = new AbortController();
  const onCommit = () => wake.notify();
  const commits = commitsOf(store.file);
  commits.on('commit', onCommit);
  const watcher = watchWal(store.file, onCommit);
  const cleanup = startCleanup(store, options.cleanupIntervalMs ?? 60_000, emit);

  const loop = relayLoop({
    mode: 'sqlite',
    runOnce,
    wake,
    // Not the lease holder: try again before the holder's lease could have run out.
    idleMs: () => (leaseUntil === 0 ? Math.min(pollIntervalMs, leaseMs / 3) : pollIntervalMs),
    signal: stopping.signal,
    retry: options.retry,
    emit,
  });

  return {
    mode: 'sqlite',
    runOnce,
    async stop() {
      stopping.abort();
      wake.notify();
      await loop;
      commits.off('commit', onCommit);
      watcher?.close();
      cleanup.stop();
      if (leaseUntil > 0) await store.exclusive(() => releaseLease.run(owner)).catch(() => {});
    },
  };
}

/**
 * Commits by other processes append to the `-wal` file: a change notification on it wakes the relay.
 * Watching the directory survives the WAL file being removed and created again (checkpoints, last close).
 *
 * The notification comes with the first frames written, but the commit becomes visible only after
 * the writer synced the WAL and published it in the shared-memory index, which raises no
 * notification. A relay that looked too early would sleep until its safety poll, so each burst of
 * changes also wakes it shortly after it ends.
 */
function watchWal(file: string, onChange: () => void): { close(): void } | undefined {
  const wal = `${basename(file)}-wal`;
  let trailing: NodeJS.Timeout[] = [];
  const settle = () => {
    for (const timer of trailing) clearTimeout(timer);
    trailing = walSettleMs.map((ms) => setTimeout(onChange, ms).unref());
  };
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(resolve(file)), { persistent: false }, (_event, name) => {
      if (name !== wal) return;
      onChange();
      settle();
    });
  } catch {
    return undefined;
  }
  watcher.on('error', () => watcher.close());
  return {
    close() {
      for (const timer of trailing) clearTimeout(timer);
      watcher.close();
    },
  };
}

/** When to look again after the last WAL change: soon for a quick sync, later for a slow disk. */
const walSettleMs = [20, 200];
