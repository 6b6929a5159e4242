import type { Database } from 'better-sqlite3';
import type { InboxTable, OperationRecord, OperationsTable } from '../types.js';

interface HasDb {
  readonly db: Database;
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
const parsed = (text: string | null) => (text === null ? undefined : (JSON.parse(text) as unknown));

export function sqliteInbox(): InboxTable<HasDb> {
  return {
    async claim(tx, group, messageId) {
      const inserted = tx.db
        .prepare(
          `INSERT INTO sy_inbox (consumer_group, message_id, processed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .run(group, messageId, Date.now());
      if (inserted.changes === 1) return { first: true };
      const row = tx.db
        .prepare(`SELECT result FROM sy_inbox WHERE consumer_group = ? AND message_id = ?`)
        .get(group, messageId) as { result: string | null } | undefined;
      return { first: false, result: parsed(row?.result ?? null) };
    },
    async saveResult(tx, group, messageId, result) {
      if (result === undefined) return;
      tx.db
        .prepare(`UPDATE sy_inbox SET result = ? WHERE consumer_group = ? AND message_id = ?`)
        .run(json(result), group, messageId);
    },
  };
}

interface OperationRow {
  id: string;
  kind: string;
  status: string;
  resource: string | null;
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
}

function recordOf(row: OperationRow): OperationRecord {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    ...(row.resource === null ? {} : { resource: row.resource }),
    ...(row.result === null ? {} : { result: parsed(row.result) }),
    ...(row.error === null ? {} : { error: parsed(row.error) }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
  };
}

/** `read` runs a query between the store's transactions; `write`, one statement that needs the lock. */
export function sqliteOperations(
  db: Database,
  run: { read: <T>(query: () => T) => Promise<T>; write: <T>(statement: () => T) => Promise<T> },
): OperationsTable<HasDb> {
  return {
    async insert(tx, r) {
      tx.db
        .prepare(
          `INSERT INTO sy_operations (id, kind, status, resource, result, created_at, updated_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          r.id,
          r.kind,
          r.status,
          r.resource ?? null,
          json(r.result),
          r.createdAt,
          r.createdAt,
          r.expiresAt ?? null,
        );
    },
    async finish(tx, id, update) {
      const changed = tx.db
        .prepare(
          `UPDATE sy_operations SET status = ?, result = ?, error = ?, resource = coalesce(?, resource), updated_at = ?
           WHERE id = ? AND status = 'PENDING'`,
        )
        .run(update.status, json(update.result), json(update.error), update.resource ?? null, Date.now(), id);
      return changed.changes === 1;
    },
    get: (id) =>
      run.read(() => {
        const row = db.prepare(`SELECT * FROM sy_operations WHERE id = ?`).get(id) as
          OperationRow | undefined;
        return row && recordOf(row);
      }),
    expire: (now) =>
      run.write(() => {
        const rows = db
          .prepare(
            `UPDATE sy_operations SET status = 'EXPIRED', error = ?, updated_at = ?
             WHERE status = 'PENDING' AND expires_at <= ? RETURNING id`,
          )
          .all(
            json({ code: 'DEADLINE_EXCEEDED', message: 'The operation did not finish in time' }),
            now,
            now,
          ) as { id: string }[];
        return rows.map((r) => r.id);
      }),
  };
}
