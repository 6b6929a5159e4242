import type { ClientBase, ClientConfig, Pool, PoolClient, PoolConfig, QueryResult, QueryResultRow } from 'pg';
import { SwitchyardError } from '../../errors/index.js';
import {
  defaultRetention,
  type Backlog,
  type CleanupResult,
  type MessageSink,
  type OutboxTransaction,
  type Retention,
  type TransactionalStore,
} from '../types.js';
import { loadPg } from './driver.js';
import { postgresInbox, postgresOperations } from './tables.js';
import { deferredOutbox, postgresOutbox } from './outbox.js';
import { migrate, namesFor, type PgNames } from './schema.js';

export interface PostgresStoreOptions {
  /** A pool the caller owns (the store does not end it); otherwise `connection` settings for one it creates. */
  readonly pool?: Pool;
  readonly connection?: PoolConfig;
  /** Where the library's tables live (`sy_outbox`, `sy_inbox`, …); default `switchyard`. */
  readonly schema?: string;
  /**
   * Ordering lanes of the outbox (see lanes.ts), fixed when the schema is first created; more lanes
   * let more relay workers share the load. Default 64.
   */
  readonly lanes?: number;
  /**
   * NOTIFY polling relays at commit so they wake at once instead of at their next poll. Default false:
   * PostgreSQL serializes the commits of notifying transactions on one lock, which costs writers far
   * more than a relay's poll (see docs/transactional.md).
   */
  readonly notify?: boolean;
  readonly retention?: Retention;
  /** Apply the shipped migrations on open (default true). */
  readonly migrate?: boolean;
}

export interface PostgresTransaction extends OutboxTransaction {
  /** The transaction's connection: run the business statements on it. */
  readonly client: PoolClient;
  query<R extends QueryResultRow = any>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export interface PostgresStore extends TransactionalStore<PostgresTransaction> {
  readonly dialect: 'postgres';
  readonly pool: Pool;
  readonly names: PgNames;
  readonly lanes: number;
  readonly notify: boolean;
  readonly retention: Required<Retention>;
  /** An outbox sink for a transaction the caller opened itself (`BEGIN` on `client`). */
  outboxFor(client: ClientBase): MessageSink;
  /** Settings for connections of their own (LISTEN, replication), taken from the pool. */
  connectionConfig(): ClientConfig;
}

/** Opens the PostgreSQL store: a pool, the schema migrated, and transactions that carry an outbox. */
export async function openPostgresStore(options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const pg = await loadPg();
  const names = namesFor(options.schema ?? 'switchyard');
  const ownsPool = !options.pool;
  const pool = options.pool ?? new pg.Pool({ max: 10, ...options.connection });
  const retention = { ...defaultRetention, ...options.retention };
  const notify = options.notify ?? false;
  let lanes: number;
  try {
    const client = await pool.connect();
    try {
      if (options.migrate ?? true) await migrate(client, names, options.lanes ?? 64);
      const row = (await client.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${names.lanes}`))
        .rows[0];
      lanes = row?.n ?? 0;
    } finally {
      client.release();
    }
  } catch (error) {
    if (ownsPool) await pool.end().catch(() => {});
    throw error;
  }
  if (lanes < 1)
    throw new SwitchyardError('FAILED_PRECONDITION', `The outbox in schema ${names.schema} has no lanes`);
  const target = { names, lanes, notify };
  const inbox = postgresInbox(names);
  const operations = postgresOperations(names, pool);

  async function transaction<T>(fn: (tx: PostgresTransaction) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    // A connection whose BEGIN, COMMIT or ROLLBACK failed is in an unknown state: never reused.
    let broken = false;
    const control = (statement: string) =>
      client.query(statement).catch((error: unknown) => {
        broken = broken || isConnectionError(error);
        throw error;
      });
    try {
      await control('BEGIN');
      const outbox = deferredOutbox(client, target);
      try {
        const result = await fn({ client, outbox, query: (text, values) => client.query(text, values) });
        // The outbox rows travel with the COMMIT; if they fail, the transaction is left aborted.
        await control(outbox.commitStatement());
        return result;
      } catch (error) {
        await control('ROLLBACK').catch(() => void (broken = true));
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }

  async function backlog(): Promise<Backlog> {
    const row = (
      await pool.query<{ unpublished: string; oldest_ms: number | null; failing: string }>(
        `SELECT count(*) AS unpublished,
          (extract(epoch FROM clock_timestamp() - min(created_at)) * 1000)::float8 AS oldest_ms,
          count(*) FILTER (WHERE last_error IS NOT NULL) AS failing
        FROM ${names.outbox} WHERE published_at IS NULL`,
      )
    ).rows[0]!;
    return {
      unpublished: Number(row.unpublished),
      oldestAgeMs: row.oldest_ms === null ? null : Math.max(0, row.oldest_ms),
      failing: Number(row.failing),
    };
  }

  async function deleteInBatches(sql: string, values: unknown[]): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = (await pool.query(sql, values)).rowCount ?? 0;
      total += deleted;
      if (deleted < cleanupBatch) return total;
    }
  }

  async function cleanup(): Promise<CleanupResult> {
    const now = Date.now();
    const outbox = await deleteInBatches(
      `DELETE FROM ${names.outbox} WHERE id IN (SELECT id FROM ${names.outbox}
        WHERE published_at < $1 ORDER BY id LIMIT ${cleanupBatch})`,
      [new Date(now - retention.publishedMs)],
    );
    const processed = await deleteInBatches(
      `DELETE FROM ${names.inbox} WHERE ctid IN (SELECT ctid FROM ${names.inbox}
        WHERE processed_at < $1 LIMIT ${cleanupBatch})`,
      [new Date(now - retention.processedMs)],
    );
    const finished = await deleteInBatches(
      `DELETE FROM ${names.operations} WHERE id IN (SELECT id FROM ${names.operations}
        WHERE status <> 'PENDING' AND updated_at < $1 LIMIT ${cleanupBatch})`,
      [new Date(now - retention.operationsMs)],
    );
    return { outbox, inbox: processed, operations: finished };
  }

  return {
    dialect: 'postgres',
    pool,
    names,
    lanes,
    notify,
    retention,
    transaction,
    inbox,
    operations,
    backlog,
    cleanup,
    outboxFor: (client) => postgresOutbox(client, target),
    connectionConfig: () => ({ ...(pool as Pool & { options: ClientConfig }).options }),
    async close() {
      if (ownsPool) await pool.end();
    },
  };
}

const cleanupBatch = 5_000;

/** Errors of the connection itself (not of a statement), after which it must not go back to the pool. */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code !== 'string' || code.startsWith('08') || code === '57P01';
}
