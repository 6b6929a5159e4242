import type { Pool, QueryResultRow } from 'pg';
import type { InboxTable, OperationRecord, OperationsTable } from '../types.js';
import type { PgNames } from './schema.js';

interface Queryable {
  query<R extends QueryResultRow = any>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

export function postgresInbox(names: PgNames): InboxTable<Queryable> {
  return {
    async claim(tx, group, messageId) {
      // A concurrent claim of the same id waits here for the first transaction: it then sees the row
      // (duplicate) or, if that one rolled back, inserts it itself.
      const inserted = await tx.query(
        `INSERT INTO ${names.inbox} (consumer_group, message_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [group, messageId],
      );
      if (inserted.rowCount === 1) return { first: true };
      const row = (
        await tx.query<{ result: unknown }>(
          `SELECT result FROM ${names.inbox} WHERE consumer_group = $1 AND message_id = $2`,
          [group, messageId],
        )
      ).rows[0];
      return { first: false, result: row?.result ?? undefined };
    },
    async saveResult(tx, group, messageId, result) {
      if (result === undefined) return;
      await tx.query(`UPDATE ${names.inbox} SET result = $3 WHERE consumer_group = $1 AND message_id = $2`, [
        group,
        messageId,
        json(result),
      ]);
    },
  };
}

interface OperationRow {
  id: string;
  kind: string;
  status: string;
  resource: string | null;
  result: unknown;
  error: unknown;
  created_at: Date;
  updated_at: Date;
  expires_at: Date | null;
}

function recordOf(row: OperationRow): OperationRecord {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    ...(row.resource === null ? {} : { resource: row.resource }),
    ...(row.result === null ? {} : { result: row.result }),
    ...(row.error === null ? {} : { error: row.error }),
    createdAt: row.created_at.getTime(),
    updatedAt: row.updated_at.getTime(),
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at.getTime() }),
  };
}

export function postgresOperations(names: PgNames, pool: Pool): OperationsTable<Queryable> {
  return {
    async insert(tx, r) {
      await tx.query(
        `INSERT INTO ${names.operations} (id, kind, status, resource, result, created_at, updated_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
        [
          r.id,
          r.kind,
          r.status,
          r.resource ?? null,
          json(r.result),
          new Date(r.createdAt),
          r.expiresAt === undefined ? null : new Date(r.expiresAt),
        ],
      );
    },
    async finish(tx, id, update) {
      const changed = await tx.query(
        `UPDATE ${names.operations}
         SET status = $2, result = $3, error = $4, resource = coalesce($5, resource), updated_at = now()
         WHERE id = $1 AND status = 'PENDING'`,
        [id, update.status, json(update.result), json(update.error), update.resource ?? null],
      );
      return changed.rowCount === 1;
    },
    async get(id) {
      const row = (await pool.query<OperationRow>(`SELECT * FROM ${names.operations} WHERE id = $1`, [id]))
        .rows[0];
      return row && recordOf(row);
    },
    async expire(now) {
      const rows = await pool.query<{ id: string }>(
        `UPDATE ${names.operations}
         SET status = 'EXPIRED', error = $2, updated_at = now()
         WHERE status = 'PENDING' AND expires_at <= $1 RETURNING id`,
        [new Date(now), json({ code: 'DEADLINE_EXCEEDED', message: 'The operation did not finish in time' })],
      );
      return rows.rows.map((r) => r.id);
    },
  };
}
