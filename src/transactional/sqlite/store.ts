import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { OutgoingMessage } from '../../messaging/adapter.js';
import { SwitchyardError } from '../../errors/index.js';
import {
  defaultRetention,
  type Backlog,
  type CleanupResult,
  type OutboxTransaction,
  type Retention,
  type TransactionalStore,
} from '../types.js';
import { assertOutgoing, bufferOf } from '../outgoing.js';
import { busyTimeoutMs, whenUnlocked } from '../../internal/sqlite-lock.js';
import { sqliteSynchronous, walFlusherFor, type Durability } from '../../internal/wal-sync.js';
import { migrate } from './schema.js';
import { sqliteInbox, sqliteOperations } from './tables.js';

export interface SqliteStoreOptions {
  /** The service's SQLite database file (WAL mode is turned on). */
  readonly file: string;
  /**
   * `commit` (default): a commit survives a power loss. `interval`: the WAL is fsynced every second
   * instead; a process crash loses nothing, a power loss the last second (see `Durability`).
   */
  readonly durability?: Durability;
  readonly retention?: Retention;
}

export interface SqliteTransaction extends OutboxTransaction {
  /** The store's connection, inside the transaction: run the business statements on it. */
  readonly db: Database.Database;
}

export interface SqliteStore extends TransactionalStore<SqliteTransaction> {
  readonly dialect: 'sqlite';
  readonly file: string;
  readonly db: Database.Database;
  readonly retention: Required<Retention>;
  /**
   * Writes messages synchronously, for code inside a `db.transaction(...)` of its own (with messages
   * from `bus.prepare`). Relays of this process are woken once that transaction has ended.
   */
  append(messages: readonly OutgoingMessage[]): void;
  /**
   * Runs `fn` when no transaction of this store is open, so it sees only committed rows (relays and
   * cleaners use it). Not for business code: use `transaction`.
   */
  exclusive<T>(fn: (db: Database.Database) => T): Promise<T>;
}

/**
 * Commit signals of the outbox, per database file, shared by every store of this process on that file:
 * an in-process relay wakes on them without polling.
 */
const commitSignals = new Map<string, EventEmitter>();

export function commitsOf(file: string): EventEmitter {
  const key = resolve(file);
  let emitter = commitSignals.get(key);
  if (!emitter) {
    emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    commitSignals.set(key, emitter);
  }
  return emitter;
}

/**
 * The SQLite store: one connection, and transactions queued on it one at a time (better-sqlite3 is
 * synchronous and one connection has one transaction; an async handler holding it must not let
 * another transaction's statements in). `BEGIN IMMEDIATE` takes the write lock up front, so two
 * processes on the file never deadlock on a lock upgrade.
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const db = new Database(options.file, { timeout: busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  const durability = options.durability ?? 'commit';
  db.pragma(`synchronous = ${sqliteSynchronous(durability)}`);
  try {
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  const flusher = walFlusherFor(options.file, durability);
  const retention = { ...defaultRetention, ...options.retention };
  const commits = commitsOf(options.file);
  const insert = db.prepare(`INSERT INTO sy_outbox (channel, partition, message_id, headers, body, created_at)
    VALUES (?, ?, ?, ?, ?, ?)`);
  // A service, its canary and its relay share the file: while one commits, the others wait on a timer,
  // not in SQLite's busy handler, which would stop the whole process (see internal/sqlite-lock.ts).
  const unlocked = <T>(write: () => T) => whenUnlocked(db, write, options.file);
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const write = (messages: readonly OutgoingMessage[]) => {
    const now = Date.now();
    for (const m of messages) {
      assertOutgoing(m);
      insert.run(m.channel, m.partition, m.id, JSON.stringify(m.headers), bufferOf(m.body), now);
    }
  };

  // Set while this store's queue runs a task: a nested call would wait for itself forever.
  const running = new AsyncLocalStorage<true>();

  function enqueue<T>(fn: () => Promise<T> | T): Promise<T> {
    if (closed) return Promise.reject(new SwitchyardError('UNAVAILABLE', 'The SQLite store is closed'));
    if (running.getStore())
      return Promise.reject(
        new SwitchyardError(
          'FAILED_PRECONDITION',
          'Already inside a transaction of this SQLite store: use the transaction you were given',
        ),
      );
    const run = queue.then(() => running.run(true, fn));
    queue = run.catch(() => {});
    return run;
  }

  async function transaction<T>(fn: (tx: SqliteTransaction) => Promise<T>): Promise<T> {
    return enqueue(async () => {
      let wrote = false;
      await unlocked(() => db.exec('BEGIN IMMEDIATE'));
      try {
        const result = await fn({
          db,
          outbox: {
            async publish(messages) {
              write(messages);
              wrote ||= messages.length > 0;
            },
          },
        });
        db.exec('COMMIT');
        if (wrote) commits.emit('commit');
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  const inbox = sqliteInbox();
  const operations = sqliteOperations(db, {
    read: enqueue,
    write: (statement) => enqueue(() => unlocked(statement)),
  });

  async function backlog(): Promise<Backlog> {
    return enqueue(() => {
      const row = db
        .prepare(
          `SELECT count(*) AS unpublished, min(created_at) AS oldest, count(last_error) AS failing
           FROM sy_outbox WHERE published_at IS NULL`,
        )
        .get() as { unpublished: number; oldest: number | null; failing: number };
      return {
        unpublished: row.unpublished,
        oldestAgeMs: row.oldest === null ? null : Math.max(0, Date.now() - row.oldest),
        failing: row.failing,
      };
    });
  }

  async function cleanup(): Promise<CleanupResult> {
    return enqueue(async () => {
      const now = Date.now();
      const run = (sql: string, before: number) => unlocked(() => db.prepare(sql).run(before).changes);
      return {
        outbox: await run(`DELETE FROM sy_outbox WHERE published_at < ?`, now - retention.publishedMs),
        inbox: await run(`DELETE FROM sy_inbox WHERE processed_at < ?`, now - retention.processedMs),
        operations: await run(
          `DELETE FROM sy_operations WHERE status <> 'PENDING' AND updated_at < ?`,
          now - retention.operationsMs,
        ),
      };
    });
  }

  return {
    dialect: 'sqlite',
    file: options.file,
    db,
    retention,
    transaction,
    inbox,
    operations,
    backlog,
    cleanup,
    append(messages) {
      write(messages);
      // A synchronous caller's transaction has ended (committed or not) by the time this runs.
      if (messages.length > 0) setImmediate(() => commits.emit('commit'));
    },
    exclusive: (fn) => enqueue(() => fn(db)),
    async close() {
      if (closed) return;
      await enqueue(() => {});
      closed = true;
      await flusher?.stop();
      db.close();
    },
  };
}
