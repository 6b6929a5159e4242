import type { Redis } from 'ioredis';
import { SwitchyardError } from '../../errors/index.js';
import type { ChannelSpec } from '../adapter.js';
import { runScript, script } from './link.js';
import { heartbeatMs } from './ownership.js';
import { expiringField, expiringGroupsKey, keysFor, validateGroup } from './topology.js';

// Group idle expiry (`ConsumerOptions.idleExpiryMs`). Redis expires keys, not a consumer group inside a
// stream, so a group that `consume` creates with it gets:
// - a marker key (`Keys.alive`) holding the period, with the period as its TTL; every member's
//   heartbeat renews it (leases.ts), so it runs out only once the group has had no member that long;
// - an entry in the prefix's index of expiring groups (`expiringGroupsKey`), so a sweep finds the
//   group without scanning the keyspace.
// Once the marker is gone the group counts as removed at once (`knownGroup`: peek and lag say
// NOT_FOUND; a member that comes back starts a new group). Its state is deleted by the next sweep of an
// adapter that consumes or peeks on the prefix (`sweepGroups`).

// KEYS: index, marker, groups set, members, load, then the partition streams, then the leases.
// ARGV: index field, group, partitions. Shared by the scripts below: destroys the group on every
// stream there is and deletes its keys and its index entry.
const removeGroup = `
local function remove()
  local n = tonumber(ARGV[3])
  for p = 1, n do
    if redis.call('TYPE', KEYS[5 + p]).ok == 'stream' then
      redis.call('XGROUP', 'DESTROY', KEYS[5 + p], ARGV[2])
    end
    redis.call('DEL', KEYS[5 + n + p])
  end
  redis.call('DEL', KEYS[2], KEYS[4], KEYS[5])
  redis.call('SREM', KEYS[3], ARGV[2])
  redis.call('HDEL', KEYS[1], ARGV[1])
end
`;

// Removes the group only if it is in the index and its marker is gone: checked and done in one script,
// so a member declaring the group again (which sets the marker first) is never swept from under.
const sweepScript = script(`${removeGroup}
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
remove()
return 1
`);

// ARGV[4]: the period. An expiring group that is alive keeps its period; one whose marker ran out is
// removed first (it is gone, whether or not a sweep got to it), so the member starts a new one; a group
// declared without expiry keeps its settings (0). Otherwise the marker and the index entry are created.
const declareScript = script(`${removeGroup}
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
  remove()
elseif redis.call('SISMEMBER', KEYS[3], ARGV[2]) == 1 then
  return 0
end
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`);

/** The KEYS of the scripts above. */
function scriptKeys(prefix: string, channel: string, group: string, partitions: number): string[] {
  const keys = keysFor(prefix, channel);
  const streams = Array.from({ length: partitions }, (_, p) => keys.stream(p));
  const leases = Array.from({ length: partitions }, (_, p) => keys.lease(group, p));
  return [
    expiringGroupsKey(prefix),
    keys.alive(group),
    keys.groups,
    keys.members(group),
    keys.load(group),
    ...streams,
    ...leases,
  ];
}

/**
 * A positive integer, and at least three heartbeats long: the heartbeat is what renews the marker, so a
 * shorter period would run out between two heartbeats of a live member.
 */
export function validateGroupExpiry(idleExpiryMs: number, leaseMs: number): void {
  const least = 3 * heartbeatMs(leaseMs);
  if (!Number.isInteger(idleExpiryMs) || idleExpiryMs < least)
    throw new SwitchyardError(
      'INVALID_ARGUMENT',
      `idleExpiryMs of a group must be an integer of at least ${least} ms (three heartbeats)`,
      { details: { idleExpiryMs, least } },
    );
}

/**
 * Makes `group` an expiring group before `ensureGroup` creates it: from the moment the marker is set, no
 * sweep removes the group. Returns false when the group exists already without expiry (it keeps its
 * settings).
 */
export async function declareExpiring(
  redis: Redis,
  prefix: string,
  spec: ChannelSpec,
  group: string,
  idleExpiryMs: number,
): Promise<boolean> {
  validateGroup(group);
  const keys = scriptKeys(prefix, spec.name, group, spec.partitions);
  const args = [expiringField(spec.name, group), group, spec.partitions, idleExpiryMs];
  return (await runScript(redis, declareScript, keys, args)) === 1;
}

/** Removes `group` if it expires and its marker ran out; true when it did. */
export async function removeIfExpired(
  redis: Redis,
  prefix: string,
  channel: string,
  group: string,
  partitions: number,
): Promise<boolean> {
  const keys = scriptKeys(prefix, channel, group, partitions);
  const args = [expiringField(channel, group), group, partitions];
  return (await runScript(redis, sweepScript, keys, args)) === 1;
}

/**
 * Whether `peek` and `lag` know the group: declared or consumed (in the groups set) and, if it
 * expires, with its marker still there. One round trip.
 */
export async function knownGroup(
  redis: Redis,
  prefix: string,
  channel: string,
  group: string,
): Promise<boolean> {
  const keys = keysFor(prefix, channel);
  const replies =
    (await redis
      .pipeline()
      .sismember(keys.groups, group)
      .hexists(expiringGroupsKey(prefix), expiringField(channel, group))
      .exists(keys.alive(group))
      .exec()) ?? [];
  const [declared, expiring, alive] = replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  return declared === 1 && !(expiring === 1 && alive === 0);
}

export interface SweptGroup {
  readonly channel: string;
  readonly group: string;
}

/**
 * Removes every expiring group of the prefix whose marker ran out: one HGETALL of the index and one
 * pipeline of EXISTS, then a script for each group found expired (which checks again, atomically).
 */
export async function sweepGroups(redis: Redis, prefix: string): Promise<SweptGroup[]> {
  const index = Object.entries(await redis.hgetall(expiringGroupsKey(prefix)));
  if (index.length === 0) return [];
  const entries = index.map(([field, partitions]) => {
    const space = field.indexOf(' ');
    return { channel: field.slice(0, space), group: field.slice(space + 1), partitions: Number(partitions) };
  });
  const pipeline = redis.pipeline();
  for (const { channel, group } of entries) pipeline.exists(keysFor(prefix, channel).alive(group));
  const alive = (await pipeline.exec()) ?? [];
  const swept: SweptGroup[] = [];
  for (const [i, { channel, group, partitions }] of entries.entries()) {
    const [error, exists] = alive[i] ?? [];
    if (error) throw error;
    if (exists === 1) continue;
    if (await removeIfExpired(redis, prefix, channel, group, partitions)) swept.push({ channel, group });
  }
  return swept;
}
