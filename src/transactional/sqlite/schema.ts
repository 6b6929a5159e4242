import type { Database } from 'better-sqlite3';

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Shipped migrations, applied in order, each once per database file. Never edit a released one. */
const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'outbox, inbox, operations, relay lease',
    sql: `
CREATE TABLE sy_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  partition INTEGER NOT NULL,
  message_id TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  published_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error TEXT
);
CREATE INDEX sy_outbox_unpublished ON sy_outbox (id) WHERE published_at IS NULL;
CREATE INDEX sy_outbox_held ON sy_outbox (channel, partition, next_attempt_at)
  WHERE published_at IS NULL AND next_attempt_at IS NOT NULL;
CREATE INDEX sy_outbox_published ON sy_outbox (published_at) WHERE published_at IS NOT NULL;
CREATE TABLE sy_inbox (
  consumer_group TEXT NOT NULL,
  message_id TEXT NOT NULL,
  processed_at INTEGER NOT NULL,
  result TEXT,
  PRIMARY KEY (consumer_group, message_id)
) WITHOUT ROWID;
CREATE INDEX sy_inbox_processed_at ON sy_inbox (processed_at);
CREATE TABLE sy_operations (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  resource TEXT,
  result TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER
);
CREATE INDEX sy_operations_expiry ON sy_operations (expires_at) WHERE status = 'PENDING';
CREATE INDEX sy_operations_finished ON sy_operations (updated_at) WHERE status <> 'PENDING';
CREATE TABLE sy_relay_lease (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
`,
  },
];

/**
 * Brings the file to the latest version. `BEGIN IMMEDIATE` takes SQLite's write lock first, so
 * concurrent starters (processes of one machine) apply each migration once.
 */
export function migrate(db: Database): number[] {
  const applied: number[] = [];
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS sy_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )`);
    const done = new Set(
      (db.prepare(`SELECT version FROM sy_migrations`).all() as { version: number }[]).map((r) => r.version),
    );
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      db.exec(m.sql);
      db.prepare(`INSERT INTO sy_migrations (version, name, applied_at) VALUES (?, ?, ?)`).run(
        m.version,
        m.name,
        Date.now(),
      );
      applied.push(m.version);
    }
  }).immediate();
  return applied;
}
