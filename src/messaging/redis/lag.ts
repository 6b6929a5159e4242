import type { Redis } from 'ioredis';
import { unknownChannel, unknownGroup } from '../adapter.js';
import { knownGroup } from './group-expiry.js';
import { keysFor, readMeta } from './topology.js';

/** The group's fields of an `XINFO GROUPS` reply (flat name/value lists, one per group). */
function groupInfo(reply: unknown, group: string): Map<string, unknown> | undefined {
  for (const info of (reply ?? []) as unknown[][]) {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < info.length; i += 2) fields.set(String(info[i]), info[i + 1]);
    if (fields.get('name') === group) return fields;
  }
  return undefined;
}

/**
 * `lag` on Redis Streams, per partition stream, from `XINFO GROUPS`: the group's `lag` (entries not
 * yet delivered to it) plus `pending` (delivered, not acknowledged), summed. Nothing reads an entry.
 *
 * Redis 7 computes `lag` from the stream's entries-added counter and the group's entries-read. It
 * reports null when that arithmetic is unsound (entries deleted with XDEL after the group's position,
 * which this adapter never does, or a position set without ENTRIESREAD); then the stream's length is
 * taken instead, an upper bound (it counts entries already delivered too). Entries trimmed by retention
 * before the group read them still count in Redis's `lag`, so it is capped by the stream's length.
 */
export async function lag(redis: Redis, prefix: string, channel: string, group: string): Promise<number> {
  const meta = await readMeta(redis, prefix, channel);
  if (!meta) throw unknownChannel(channel);
  const keys = keysFor(prefix, channel);
  // An expiring group whose marker ran out is gone, whether or not a sweep has removed it yet.
  if (!(await knownGroup(redis, prefix, channel, group))) throw unknownGroup(channel, group);
  const pipeline = redis.pipeline();
  for (let p = 0; p < meta.partitions; p++) {
    pipeline.xlen(keys.stream(p));
    pipeline.call('XINFO', 'GROUPS', keys.stream(p));
  }
  const replies = (await pipeline.exec()) ?? [];
  let total = 0;
  for (let p = 0; p < meta.partitions; p++) {
    const [lengthError, length] = replies[2 * p] ?? [];
    if (lengthError) throw lengthError;
    // A stream that does not exist (XINFO fails on it) holds nothing for anyone.
    if (length === 0) continue;
    const [infoError, info] = replies[2 * p + 1] ?? [];
    if (infoError) throw infoError;
    // The group may be missing on one stream (Redis restarted empty): its consumer recreates it at 0.
    const fields = groupInfo(info, group);
    const undelivered = fields?.get('lag');
    const waiting = typeof undelivered === 'number' ? Math.min(undelivered, Number(length)) : Number(length);
    total += waiting + Number(fields?.get('pending') ?? 0);
  }
  return total;
}
