import { peekLimit, unknownChannel, unknownGroup, type PeekedMessage, type PeekOptions } from '../adapter.js';
import type { Db } from './store.js';

interface Row {
  id: string;
  headers: string;
  body: Buffer;
  published_at: number;
}

/**
 * `peek` on the log: per partition, the rows after the group's acknowledged offset (the one out for
 * delivery included), read in one transaction so the partitions are seen at one moment. Offsets,
 * leases and delivery counts are only read.
 */
export function peeker(db: Db) {
  const channelRow = db.prepare(`SELECT partitions FROM sy_channels WHERE name = ?`).pluck();
  const offsets = db.prepare(`SELECT partition, acked FROM sy_offsets WHERE channel = ? AND grp = ?`);
  const after = db.prepare(`SELECT id, headers, body, published_at FROM sy_messages
    WHERE channel = ? AND partition = ? AND seq > ? ORDER BY seq LIMIT ?`);

  const read = db.transaction((channel: string, group: string, limit: number): PeekedMessage[] => {
    const partitions = channelRow.get(channel) as number | undefined;
    if (partitions === undefined) throw unknownChannel(channel);
    const rows = offsets.all(channel, group) as { partition: number; acked: number }[];
    if (rows.length === 0) throw unknownGroup(channel, group);
    const acked = new Map(rows.map((r) => [r.partition, r.acked]));
    const out: PeekedMessage[] = [];
    for (let partition = 0; partition < partitions && out.length < limit; partition++) {
      const found = after.all(channel, partition, acked.get(partition) ?? 0, limit - out.length) as Row[];
      for (const row of found)
        out.push({
          channel,
          partition,
          id: row.id,
          headers: JSON.parse(row.headers) as Record<string, string>,
          body: new Uint8Array(row.body.buffer, row.body.byteOffset, row.body.byteLength),
          publishedAt: row.published_at,
        });
    }
    return out;
  });

  return (channel: string, group: string, options?: PeekOptions): PeekedMessage[] =>
    read(channel, group, peekLimit(options));
}
