import { unknownChannel, unknownGroup } from '../adapter.js';
import type { Db } from './store.js';

/**
 * `lag` on the log: per partition, the rows after the group's acknowledged offset (the one out for
 * delivery included), summed, in one transaction so the partitions are seen at one moment.
 *
 * Why a count and not "last offset minus acknowledged offset": `seq` is one sequence for every
 * channel of the file (and retention deletes rows), so the difference of two seqs would count other
 * channels' messages. The count runs on the `(channel, partition, seq)` index alone: no message is read.
 */
export function lagReader(db: Db) {
  const channelRow = db.prepare(`SELECT partitions FROM sy_channels WHERE name = ?`).pluck();
  const offsets = db.prepare(`SELECT partition, acked FROM sy_offsets WHERE channel = ? AND grp = ?`);
  const after = db
    .prepare(`SELECT count(*) FROM sy_messages WHERE channel = ? AND partition = ? AND seq > ?`)
    .pluck();

  const read = db.transaction((channel: string, group: string): number => {
    const partitions = channelRow.get(channel) as number | undefined;
    if (partitions === undefined) throw unknownChannel(channel);
    const rows = offsets.all(channel, group) as { partition: number; acked: number }[];
    if (rows.length === 0) throw unknownGroup(channel, group);
    const acked = new Map(rows.map((r) => [r.partition, r.acked]));
    let total = 0;
    // A partition without an offset row starts at the beginning, as its consumer will.
    for (let p = 0; p < partitions; p++) total += after.get(channel, p, acked.get(p) ?? 0) as number;
    return total;
  });
  return (channel: string, group: string): number => read(channel, group);
}
