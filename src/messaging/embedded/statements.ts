import type Database from 'better-sqlite3';
import type { GroupStart } from '../adapter.js';
import type { Db } from './store.js';

/** The consumer's statements on the log's tables (see `store.ts`). */
const sql = {
  heartbeat: `INSERT INTO sy_members (channel, grp, member, expires_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (channel, grp, member) DO UPDATE SET expires_at = excluded.expires_at`,
  dropDeadMembers: `DELETE FROM sy_members WHERE channel = ? AND grp = ? AND expires_at < ?`,
  liveMembers: `SELECT count(*) FROM sy_members WHERE channel = ? AND grp = ? AND expires_at >= ?`,
  leave: `DELETE FROM sy_members WHERE channel = ? AND grp = ? AND member = ?`,
  renew: `UPDATE sy_leases SET expires_at = ? WHERE channel = ? AND grp = ? AND member = ?`,
  mine: `SELECT partition FROM sy_leases WHERE channel = ? AND grp = ? AND member = ? ORDER BY partition`,
  taken: `SELECT partition FROM sy_leases WHERE channel = ? AND grp = ? AND expires_at >= ?`,
  claim: `INSERT INTO sy_leases (channel, grp, partition, member, expires_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (channel, grp, partition) DO UPDATE SET member = excluded.member, expires_at = excluded.expires_at
    WHERE sy_leases.expires_at < ?`,
  used: `UPDATE sy_idle SET used_at = ? WHERE channel = ?`,
  groupUsed: `UPDATE sy_idle_groups SET used_at = ? WHERE channel = ? AND grp = ?`,
  release: `DELETE FROM sy_leases WHERE channel = ? AND grp = ? AND partition = ? AND member = ?`,
  releaseAll: `DELETE FROM sy_leases WHERE channel = ? AND grp = ? AND member = ?`,
  offset: `SELECT acked, pending_seq, deliveries, not_before FROM sy_offsets
    WHERE channel = ? AND grp = ? AND partition = ?`,
  // A group starts at 0 (everything kept) or at its partition's last seq (only what comes next).
  newOffset: `INSERT OR IGNORE INTO sy_offsets (channel, grp, partition, acked) VALUES (@channel, @group, @partition,
    CASE WHEN @atEnd THEN (SELECT coalesce(max(seq), 0) FROM sy_messages
      WHERE channel = @channel AND partition = @partition) ELSE 0 END)`,
  next: `SELECT seq, id, headers, body FROM sy_messages
    WHERE channel = ? AND partition = ? AND seq > ? ORDER BY seq LIMIT 1`,
  hasNext: `SELECT 1 FROM sy_messages WHERE channel = ? AND partition = ? AND seq > ? LIMIT 1`,
  deliver: `UPDATE sy_offsets SET acked = ?, pending_seq = ?, deliveries = ?, not_before = 0
    WHERE channel = ? AND grp = ? AND partition = ?`,
  // Callers hold the write lock and have checked the lease in the same transaction.
  ack: `UPDATE sy_offsets SET acked = ?, pending_seq = NULL, deliveries = 0, not_before = 0
    WHERE channel = ? AND grp = ? AND partition = ? AND pending_seq = ?`,
  nak: `UPDATE sy_offsets SET not_before = ?
    WHERE channel = ? AND grp = ? AND partition = ? AND pending_seq = ?`,
};

export type Statements = Record<keyof typeof sql, Database.Statement>;

/** The parameters of `newOffset`: a group's offset row of one partition, where a new group starts. */
export function newOffsetOf(channel: string, group: string, partition: number, start: GroupStart = 'oldest') {
  return { channel, group, partition, atEnd: start === 'end' ? 1 : 0 };
}

export function prepare(db: Db): Statements {
  return Object.fromEntries(
    Object.entries(sql).map(([name, text]) => [name, db.prepare(text)]),
  ) as Statements;
}
