import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { busyTimeoutMs } from '../../internal/sqlite-lock.js';

export type Db = Database.Database;

/**
 * The log's tables. `messages.seq` is one global AUTOINCREMENT sequence: inserts are serialized by
 * SQLite's write lock, so within a partition `seq` follows publish order and never goes back, even
 * after deletions (AUTOINCREMENT never reuses a value).
 */
const schema = `
CREATE TABLE IF NOT EXISTS sy_channels (
  name TEXT PRIMARY KEY,
  partitions INTEGER NOT NULL,
  retention_ms INTEGER,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sy_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  partition INTEGER NOT NULL,
  id TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BLOB NOT NULL,
  published_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sy_messages_partition ON sy_messages (channel, partition, seq);
CREATE UNIQUE INDEX IF NOT EXISTS sy_messages_dedup ON sy_messages (channel, id);
CREATE INDEX IF NOT EXISTS sy_messages_age ON sy_messages (channel, published_at);
-- Per group and partition: the last acknowledged seq, and the message out for delivery with its count.
CREATE TABLE IF NOT EXISTS sy_offsets (
  channel TEXT NOT NULL,
  grp TEXT NOT NULL,
  partition INTEGER NOT NULL,
  acked INTEGER NOT NULL DEFAULT 0,
  pending_seq INTEGER,
  deliveries INTEGER NOT NULL DEFAULT 0,
  not_before INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (channel, grp, partition)
);
CREATE TABLE IF NOT EXISTS sy_leases (
  channel TEXT NOT NULL,
  grp TEXT NOT NULL,
  partition INTEGER NOT NULL,
  member TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (channel, grp, partition)
);
-- Channels with an idle expiry (ChannelSpec.idleExpiryMs): when a consumer or ensureChannel last used them.
CREATE TABLE IF NOT EXISTS sy_idle (
  channel TEXT PRIMARY KEY,
  idle_ms INTEGER NOT NULL,
  used_at INTEGER NOT NULL
);
-- Groups with an idle expiry (ConsumerOptions.idleExpiryMs): when a member last renewed them.
CREATE TABLE IF NOT EXISTS sy_idle_groups (
  channel TEXT NOT NULL,
  grp TEXT NOT NULL,
  idle_ms INTEGER NOT NULL,
  used_at INTEGER NOT NULL,
  PRIMARY KEY (channel, grp)
);
CREATE TABLE IF NOT EXISTS sy_members (
  channel TEXT NOT NULL,
  grp TEXT NOT NULL,
  member TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (channel, grp, member)
);
`;

export type Synchronous = 'FULL' | 'NORMAL';

function connect(file: string, synchronous: Synchronous, busyTimeoutMs: number): Db {
  const db = new Database(file, { timeout: busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  // Fewer, larger checkpoints: hot pages (offsets, index leaves) are copied back once per checkpoint.
  db.pragma('wal_autocheckpoint = 10000');
  return db;
}

export function openStore(file: string, synchronous: Synchronous): Db {
  const db = connect(file, synchronous, busyTimeoutMs);
  db.transaction(() => db.exec(schema)).immediate();
  return db;
}

/**
 * A second connection to the log for consumers' fetches and for publishes, which never waits for the
 * write lock: SQLite's busy handler sleeps with the event loop blocked, a millisecond at least (and
 * longer the longer it waits), while another process commits. A write that finds the lock taken gets
 * SQLITE_BUSY at once and is tried again on a timer, and the process goes on serving meanwhile.
 */
export function openNoWaitConnection(file: string, synchronous: Synchronous): Db {
  return connect(file, synchronous, 0);
}

/**
 * In-process wake-ups, shared by every adapter of this process on the same file: `publish:<channel>`
 * after a commit, `members:<channel>\0<group>` when a member joins or leaves. Other processes are
 * reached by polling.
 */
const buses = new Map<string, EventEmitter>();

export function busFor(file: string): EventEmitter {
  const key = resolve(file);
  let bus = buses.get(key);
  if (!bus) {
    bus = new EventEmitter();
    bus.setMaxListeners(0);
    buses.set(key, bus);
  }
  return bus;
}
