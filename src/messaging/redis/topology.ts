import type { Redis } from 'ioredis';
import { SwitchyardError } from '../../errors/index.js';
import type { ChannelSpec, GroupStart } from '../adapter.js';
import { replyCode, runScript, script } from './link.js';

/** Every Redis key the adapter uses for one channel. */
export interface Keys {
  /** Hash: `partitions`, `retentionMs` (absent: keep everything), `idleExpiryMs` (absent: never), `createdAt`. */
  readonly meta: string;
  /** Set of the groups that ever consumed the channel (so deleteChannel finds their keys). */
  readonly groups: string;
  /** The stream of partition `p`. */
  stream(p: number): string;
  /** String holding the member that owns partition `p` for `group`, with a TTL of `leaseMs`. */
  lease(group: string, p: number): string;
  /** Sorted set of a group's live members, scored by heartbeat expiry (server time, ms). */
  members(group: string): string;
  /** Hash of a group's live members → how many partitions each owns (for balancing). */
  load(group: string): string;
  /**
   * String marking a group consumed with `idleExpiryMs` as alive, with a TTL of that period that its
   * members renew with each heartbeat (see group-expiry.ts).
   */
  alive(group: string): string;
}

export function keysFor(prefix: string, channel: string): Keys {
  const base = `${prefix}:${channel}`;
  return {
    meta: `${base}:meta`,
    groups: `${base}:groups`,
    stream: (p) => `${base}:p${p}`,
    lease: (group, p) => `${base}:${group}:lease:p${p}`,
    members: (group) => `${base}:${group}:members`,
    load: (group) => `${base}:${group}:load`,
    alive: (group) => `${base}:${group}:alive`,
  };
}

/**
 * Hash of the prefix's groups consumed with `idleExpiryMs` (`<channel> <group>` → partitions), so a
 * sweep finds them without scanning the keyspace. Names cannot hold whitespace, so the space is a safe
 * separator, and a channel's own keys always have a further `:` segment, so none of them is this key.
 */
export function expiringGroupsKey(prefix: string): string {
  return `${prefix}:expiring-groups`;
}

/** A group's field in the index of expiring groups. */
export function expiringField(channel: string, group: string): string {
  return `${channel} ${group}`;
}

export interface ChannelMeta {
  readonly partitions: number;
  readonly retentionMs: number | undefined;
  /** Its keys expire unless a consumer renews them (`touchChannel`); publishes go through `publishExpiring`. */
  readonly idleExpiryMs?: number;
}

// Creates the meta hash if missing; returns the stored partition count either way (atomic: no race
// between two processes creating the same channel with different counts).
const ensureMeta = script(`
local current = redis.call('HGET', KEYS[1], 'partitions')
if current then return tonumber(current) end
redis.call('HSET', KEYS[1], 'partitions', ARGV[1], 'createdAt', ARGV[3])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'retentionMs', ARGV[2]) end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'idleExpiryMs', ARGV[4]) end
return tonumber(ARGV[1])
`);

export function validate(spec: ChannelSpec): void {
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1)
    throw new SwitchyardError('INVALID_ARGUMENT', `partitions must be a positive integer`);
  if (spec.name === '' || /[\s{}]/.test(spec.name))
    throw new SwitchyardError(
      'INVALID_ARGUMENT',
      `Invalid channel name for Redis: ${JSON.stringify(spec.name)}`,
    );
  if (spec.retentionMs !== undefined && !(spec.retentionMs > 0))
    throw new SwitchyardError('INVALID_ARGUMENT', `retentionMs must be positive`);
  if (spec.idleExpiryMs !== undefined && !(Number.isInteger(spec.idleExpiryMs) && spec.idleExpiryMs > 0))
    throw new SwitchyardError('INVALID_ARGUMENT', `idleExpiryMs must be a positive integer`);
}

/** Idempotent; refuses a partition count different from the stored one. Creates `spec.groups`. */
export async function ensureChannel(redis: Redis, prefix: string, spec: ChannelSpec): Promise<ChannelMeta> {
  validate(spec);
  const keys = keysFor(prefix, spec.name);
  const stored = Number(
    await runScript(
      redis,
      ensureMeta,
      [keys.meta],
      [spec.partitions, spec.retentionMs ?? '', Date.now(), spec.idleExpiryMs ?? ''],
    ),
  );
  if (stored !== spec.partitions)
    throw new SwitchyardError(
      'FAILED_PRECONDITION',
      `Channel ${spec.name} already exists on Redis with ${stored} partitions, not ${spec.partitions}`,
      { details: { channel: spec.name, partitions: spec.partitions, existing: stored } },
    );
  for (const group of spec.groups ?? []) await ensureGroup(redis, prefix, spec, group);
  // Declaring counts as a use: the channel lives at least one idle period before its first consumer.
  if (spec.idleExpiryMs !== undefined) await touchChannel(redis, prefix, spec, spec.groups ?? []);
  return readMeta(redis, prefix, spec.name) as Promise<ChannelMeta>;
}

export async function readMeta(
  redis: Redis,
  prefix: string,
  channel: string,
): Promise<ChannelMeta | undefined> {
  const [partitions, retention, idle] = await redis.hmget(
    keysFor(prefix, channel).meta,
    'partitions',
    'retentionMs',
    'idleExpiryMs',
  );
  if (partitions === null) return undefined;
  return {
    partitions: Number(partitions),
    retentionMs: retention === null ? undefined : Number(retention),
    ...(idle === null ? {} : { idleExpiryMs: Number(idle) }),
  };
}

/**
 * Puts off the expiry of a channel with `idleExpiryMs` by one period: its meta hash, groups set and
 * partition streams, and the members and load keys of `groups` (leases expire on their own). A
 * consumer calls it every third of the period; once nobody does, Redis deletes the keys.
 */
export async function touchChannel(
  redis: Redis,
  prefix: string,
  spec: ChannelSpec,
  groups: readonly string[],
): Promise<void> {
  if (spec.idleExpiryMs === undefined) return;
  const keys = keysFor(prefix, spec.name);
  const pipeline = redis.pipeline();
  const expire = (key: string) => pipeline.pexpire(key, spec.idleExpiryMs!);
  expire(keys.meta);
  expire(keys.groups);
  for (let p = 0; p < spec.partitions; p++) expire(keys.stream(p));
  for (const group of groups) {
    expire(keys.members(group));
    expire(keys.load(group));
  }
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) if (error) throw error;
}

/**
 * XADD to a channel with an idle expiry (KEYS: meta, stream; ARGV: the XADD arguments after the key):
 * nil once the channel expired, so a late publish cannot bring it back, and a stream it creates gets
 * the channel's remaining time.
 */
export const publishExpiring = script(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return false end
local id = redis.call('XADD', KEYS[2], unpack(ARGV))
if ttl > 0 and redis.call('PTTL', KEYS[2]) == -1 then redis.call('PEXPIRE', KEYS[2], ttl) end
return id
`);

export function validateGroup(group: string): void {
  if (group === '' || /[\s{}]/.test(group))
    throw new SwitchyardError('INVALID_ARGUMENT', `Invalid group name for Redis: ${JSON.stringify(group)}`);
}

/**
 * Creates the group on every partition stream (and the streams) if missing. From `0` (`'oldest'`) it
 * receives everything the channel still retains, including what was published before the group first
 * consumed or was declared; from `$` (`'end'`) only what each stream receives next.
 */
export async function ensureGroup(
  redis: Redis,
  prefix: string,
  spec: ChannelSpec,
  group: string,
  start: GroupStart = 'oldest',
): Promise<void> {
  validateGroup(group);
  const keys = keysFor(prefix, spec.name);
  const pipeline = redis.pipeline();
  pipeline.sadd(keys.groups, group);
  const from = start === 'end' ? '$' : '0';
  for (let p = 0; p < spec.partitions; p++)
    pipeline.xgroup('CREATE', keys.stream(p), group, from, 'MKSTREAM');
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) if (error && replyCode(error) !== 'BUSYGROUP') throw error;
}

/**
 * Destroys the group on every partition stream (its pending entries with it), its lease, member and
 * load keys, and its idle expiry (marker and index entry), if it had one.
 */
export async function deleteGroup(
  redis: Redis,
  prefix: string,
  channel: string,
  group: string,
): Promise<void> {
  const keys = keysFor(prefix, channel);
  const meta = await readMeta(redis, prefix, channel);
  const pipeline = redis.pipeline();
  pipeline.srem(keys.groups, group);
  pipeline.del(keys.members(group), keys.load(group), keys.alive(group));
  pipeline.hdel(expiringGroupsKey(prefix), expiringField(channel, group));
  for (let p = 0; p < (meta?.partitions ?? 0); p++) {
    pipeline.xgroup('DESTROY', keys.stream(p), group);
    pipeline.del(keys.lease(group, p));
  }
  const results = (await pipeline.exec()) ?? [];
  // A partition nothing was published to nor consumed from has no stream to destroy the group on.
  for (const [error] of results) if (error && !/requires the key to exist/.test(error.message)) throw error;
}

/** Deletes the streams, the meta hash, and every group's leases, members and idle expiry. */
export async function deleteChannel(redis: Redis, prefix: string, channel: string): Promise<void> {
  const keys = keysFor(prefix, channel);
  const meta = await readMeta(redis, prefix, channel);
  const groups = await redis.smembers(keys.groups);
  // Without meta (already deleted, or lost in a restart without persistence) the streams may still exist
  // from publishes; delete up to what the groups' leases or a scan can tell — here: partitions we know of.
  const partitions = meta?.partitions ?? 0;
  const doomed = [keys.meta, keys.groups];
  for (let p = 0; p < partitions; p++) doomed.push(keys.stream(p));
  for (const group of groups) {
    doomed.push(keys.members(group), keys.load(group), keys.alive(group));
    for (let p = 0; p < partitions; p++) doomed.push(keys.lease(group, p));
  }
  for (let i = 0; i < doomed.length; i += 500) await redis.del(...doomed.slice(i, i + 500));
  const fields = groups.map((group) => expiringField(channel, group));
  for (let i = 0; i < fields.length; i += 500)
    await redis.hdel(expiringGroupsKey(prefix), ...fields.slice(i, i + 500));
}
