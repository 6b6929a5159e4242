import type { Redis } from 'ioredis';
import { runScript, script } from './link.js';

// Partition ownership: a lease key per (group, partition) holding the owner's member name with a TTL.
// All comparisons happen inside Redis, so a member never extends or deletes a lease another member holds.

const acquireScript = script(`
local current = redis.call('GET', KEYS[1])
if current == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

const renewScript = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

const releaseScript = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`);

// Registers the member until now + ttl (server clock, so members on machines with skewed clocks agree)
// with the number of partitions it owns, drops members whose heartbeat expired, renews the group's
// marker if it expires (KEYS[3], holding its period: every member keeps the group alive, whatever
// options it was started with), and returns { live members, fewest partitions owned by a live member }.
const heartbeatScript = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  redis.call('HDEL', KEYS[2], dead)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl * 4)
redis.call('PEXPIRE', KEYS[2], ttl * 4)
if KEYS[3] then
  local period = redis.call('GET', KEYS[3])
  if period then redis.call('PEXPIRE', KEYS[3], period) end
end
local fewest = tonumber(ARGV[3])
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local owned = tonumber(redis.call('HGET', KEYS[2], member) or '0')
  if owned < fewest then fewest = owned end
end
return { redis.call('ZCARD', KEYS[1]), fewest }
`);

/** Takes the lease if free (or already ours); true when this member owns it for the next `ttlMs`. */
export async function acquire(redis: Redis, key: string, member: string, ttlMs: number): Promise<boolean> {
  return (await runScript(redis, acquireScript, [key], [member, ttlMs])) === 1;
}

/** Extends the lease only if this member still holds it; false means it is lost. */
export async function renew(redis: Redis, key: string, member: string, ttlMs: number): Promise<boolean> {
  return (await runScript(redis, renewScript, [key], [member, ttlMs])) === 1;
}

/** Deletes the lease only if this member holds it, so the next member can take it at once. */
export async function release(redis: Redis, key: string, member: string): Promise<boolean> {
  return (await runScript(redis, releaseScript, [key], [member])) === 1;
}

export interface Membership {
  /** Live members, this one included. */
  readonly live: number;
  /** The fewest partitions a live member owns. */
  readonly fewest: number;
}

/** A group's member registry. */
export interface Registry {
  readonly members: string;
  readonly load: string;
  /** The group's idle expiry marker, renewed with each heartbeat while it exists (never created). */
  readonly alive?: string;
}

/** Heartbeat in the group's member registry, reporting how many partitions this member owns. */
export async function heartbeat(
  redis: Redis,
  keys: Registry,
  member: string,
  ttlMs: number,
  owned: number,
): Promise<Membership> {
  const [live, fewest] = (await runScript(
    redis,
    heartbeatScript,
    [keys.members, keys.load, ...(keys.alive === undefined ? [] : [keys.alive])],
    [member, ttlMs, owned],
  )) as [number, number];
  return { live: Number(live), fewest: Number(fewest) };
}

/**
 * How many partitions a member should own: ceil(partitions / live), but only floor(partitions / live)
 * while some live member owns fewer than that, so members that own more give way to one that owns none.
 */
export function shareOf(partitions: number, { live, fewest }: Membership): number {
  const members = Math.max(1, live);
  const low = Math.floor(partitions / members);
  return fewest < low ? low : Math.ceil(partitions / members);
}

export async function leave(redis: Redis, keys: Registry, member: string): Promise<void> {
  await Promise.all([redis.zrem(keys.members, member), redis.hdel(keys.load, member)]);
}
