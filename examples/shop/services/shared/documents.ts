import type { PostgresTransaction, ServiceStore, ServiceTransaction } from 'switchyard/transactional';

/**
 * A service's records as JSON documents in one table of its own database, on SQLite or PostgreSQL:
 * enough for the shop, whose services look records up by id only. Writes take the transaction the
 * outbox and inbox use, so a record and the messages announcing it commit together.
 */
export interface Documents<T> {
  put(tx: ServiceTransaction, id: string, value: T): Promise<void>;
  get(id: string): Promise<T | undefined>;
  /** Inside a transaction, so a read-modify-write sees and locks the row. */
  getIn(tx: ServiceTransaction, id: string): Promise<T | undefined>;
}

export async function documents<T>(store: ServiceStore, table: string): Promise<Documents<T>> {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`bad table name ${table}`);
  if (store.dialect === 'sqlite') {
    store.db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, body TEXT NOT NULL)`);
    const upsert = store.db.prepare(
      `INSERT INTO ${table} (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body`,
    );
    const select = store.db.prepare(`SELECT body FROM ${table} WHERE id = ?`);
    const read = (id: string) => {
      const row = select.get(id) as { body: string } | undefined;
      return row ? (JSON.parse(row.body) as T) : undefined;
    };
    return {
      put: async (_tx, id, value) => void upsert.run(id, JSON.stringify(value)),
      get: async (id) => read(id),
      getIn: async (_tx, id) => read(id),
    };
  }
  const name = `${store.names.quotedSchema}.${table}`;
  await store.pool.query(`CREATE TABLE IF NOT EXISTS ${name} (id text PRIMARY KEY, body jsonb NOT NULL)`);
  const pg = (tx: ServiceTransaction) => tx as PostgresTransaction;
  return {
    put: async (tx, id, value) =>
      void (await pg(tx).query(
        `INSERT INTO ${name} (id, body) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET body = excluded.body`,
        [id, JSON.stringify(value)],
      )),
    get: async (id) =>
      (await store.pool.query(`SELECT body FROM ${name} WHERE id = $1`, [id])).rows[0]?.body as T,
    getIn: async (tx, id) =>
      (await pg(tx).query(`SELECT body FROM ${name} WHERE id = $1 FOR UPDATE`, [id])).rows[0]?.body as T,
  };
}
