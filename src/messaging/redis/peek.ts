import type { Redis } from 'ioredis';
import { peekLimit, unknownChannel, unknownGroup, type PeekedMessage, type PeekOptions } from '../adapter.js';
import { parseEntry, type RawEntry } from './entry.js';
import { knownGroup } from './group-expiry.js';
import { keysFor, readMeta } from './topology.js';

/** The group's `last-delivered-id` on a stream: `0-0` when the stream or the group is not there (yet). */
async function lastDelivered(redis: Redis, stream: string, group: string): Promise<string> {
  if (!(await redis.exists(stream))) return '0-0';
  const groups = (await redis.call('XINFO', 'GROUPS', stream)) as unknown[][];
  for (const info of groups) {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < info.length; i += 2) fields.set(String(info[i]), info[i + 1]);
    if (fields.get('name') === group) return String(fields.get('last-delivered-id') ?? '0-0');
  }
  return '0-0';
}

/**
 * `peek` on Redis Streams, per partition stream: the group's pending entries (delivered, not
 * acknowledged: XPENDING, then their contents with XRANGE), then what comes after its
 * last-delivered-id. XINFO, XPENDING and XRANGE only read: no delivery count, owner or position moves.
 */
export async function peek(
  redis: Redis,
  prefix: string,
  channel: string,
  group: string,
  options?: PeekOptions,
): Promise<PeekedMessage[]> {
  const limit = peekLimit(options);
  const meta = await readMeta(redis, prefix, channel);
  if (!meta) throw unknownChannel(channel);
  const keys = keysFor(prefix, channel);
  // An expiring group whose marker ran out is gone, whether or not a sweep has removed it yet.
  if (!(await knownGroup(redis, prefix, channel, group))) throw unknownGroup(channel, group);
  const out: PeekedMessage[] = [];
  for (let partition = 0; partition < meta.partitions && out.length < limit; partition++) {
    const stream = keys.stream(partition);
    const last = await lastDelivered(redis, stream, group);
    const entries: RawEntry[] = [];
    if (last !== '0-0') {
      const pending = (await redis.call('XPENDING', stream, group, '-', '+', limit - out.length)) as [
        string,
        ...unknown[],
      ][];
      if (pending.length > 0) {
        const pipeline = redis.pipeline();
        for (const [id] of pending) pipeline.xrangeBuffer(stream, id, id);
        // An entry trimmed by retention is pending but gone: nothing to show.
        for (const [error, found] of (await pipeline.exec()) ?? []) {
          if (error) throw error;
          entries.push(...(found as RawEntry[]));
        }
      }
    }
    const left = limit - out.length - entries.length;
    if (left > 0)
      entries.push(
        ...((await redis.xrangeBuffer(stream, `(${last}`, '+', 'COUNT', left)) as unknown as RawEntry[]),
      );
    for (const raw of entries) {
      const { id, headers, body, publishedAt } = parseEntry(raw);
      out.push({ channel, partition, id, headers, body, publishedAt });
    }
  }
  return out;
}
