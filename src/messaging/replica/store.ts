import Database from 'better-sqlite3';

/**
 * Where a replica keeps its rows. `applied` remembers the last message applied per key, so a message
 * redelivered after a crash (at least once) is not applied twice.
 */
export interface ReplicaStore<T> {
  get(key: string): T | undefined;
  entries(): Iterable<[string, T]>;
  readonly size: number;
  /** Sets (or with `undefined`, deletes) the row and records the message, atomically. */
  put(key: string, value: T | undefined, messageId: string): void;
  applied(key: string): string | undefined;
  close(): void;
}

export function memoryReplicaStore<T>(): ReplicaStore<T> {
  const rows = new Map<string, T>();
  const last = new Map<string, string>();
  return {
    get: (key) => rows.get(key),
    entries: () => rows.entries(),
    get size() {
      return rows.size;
    },
    put(key, value, messageId) {
      if (value === undefined) rows.delete(key);
      else rows.set(key, value);
      last.set(key, messageId);
    },
    applied: (key) => last.get(key),
    close: () => undefined,
  };
}

/**
 * A replica that survives restarts: rows as JSON in a SQLite file (WAL). Reads are served from
 * memory; each change is one small transaction before the message is acknowledged.
 */
export function sqliteReplicaStore<T>(file: string, table = 'replica'): ReplicaStore<T> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new Error(`invalid table name ${table}`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, value TEXT, message_id TEXT NOT NULL)`);
  const upsert = db.prepare(
    `INSERT INTO ${table} (key, value, message_id) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, message_id = excluded.message_id`,
  );
  const memory = memoryReplicaStore<T>();
  const rows = db.prepare(`SELECT key, value, message_id FROM ${table}`).all() as {
    key: string;
    value: string | null;
    message_id: string;
  }[];
  for (const row of rows)
    memory.put(row.key, row.value === null ? undefined : (JSON.parse(row.value) as T), row.message_id);
  return {
    get: memory.get,
    entries: memory.entries,
    get size() {
      return memory.size;
    },
    put(key, value, messageId) {
      // Deleted rows keep their last message id, so a redelivered delete is still recognised.
      upsert.run(key, value === undefined ? null : JSON.stringify(value), messageId);
      memory.put(key, value, messageId);
    },
    applied: memory.applied,
    close: () => db.close(),
  };
}
