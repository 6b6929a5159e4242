import { createHash } from 'node:crypto';
import type { ConsumerInfo, JetStreamManager, StreamConfig, StreamInfo } from 'nats';
import { SwitchyardError } from '../../errors/index.js';
import type { ChannelSpec, GroupStart } from '../adapter.js';
import type { NatsModule } from './link.js';

const safe = /^[A-Za-z0-9_-]+$/;

/**
 * A name as one NATS token usable in stream, consumer, subject and KV key names: itself when it is
 * made of `[A-Za-z0-9_-]`, otherwise the other characters replaced by `_` plus a hash of the original
 * (so `a.b` and `a_b` stay apart).
 */
export function token(name: string): string {
  if (safe.test(name)) return name;
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8);
  return `${name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64)}-${hash}`;
}

export interface Names {
  readonly stream: string;
  /** The stream's subjects: `<prefix>.<channel>.p.*`. */
  readonly subjects: string;
  subject(partition: number): string;
  /** Durable pull consumer of a group for one partition: `<group>_p<n>`. */
  durable(group: string, partition: number): string;
  /** KV key of a partition lease. */
  lease(group: string, partition: number): string;
  /** KV key of a member's heartbeat. */
  member(group: string, member: string): string;
  /** KV filter of every member heartbeat of a group. */
  members(group: string): string;
  /** KV filter of every member heartbeat of every group of the channel. */
  readonly anyMember: string;
  /** KV filter of everything a group keeps in the lease bucket (leases and heartbeats). */
  groupKeys(group: string): string;
  /** KV filter of everything the channel keeps in the lease bucket. */
  readonly keys: string;
}

export function namesFor(prefix: string, channel: string): Names {
  const ch = token(channel);
  return {
    stream: `${prefix}_${ch}`,
    subjects: `${prefix}.${ch}.p.*`,
    subject: (p) => `${prefix}.${ch}.p.${p}`,
    durable: (group, p) => `${token(group)}_p${p}`,
    lease: (group, p) => `${ch}.${token(group)}.l.${p}`,
    member: (group, member) => `${ch}.${token(group)}.m.${token(member)}`,
    members: (group) => `${ch}.${token(group)}.m.*`,
    anyMember: `${ch}.*.m.*`,
    groupKeys: (group) => `${ch}.${token(group)}.>`,
    keys: `${ch}.>`,
  };
}

export function validPrefix(prefix: string): string {
  if (!safe.test(prefix))
    throw new SwitchyardError('INVALID_ARGUMENT', `The JetStream prefix must match [A-Za-z0-9_-]+`, {
      details: { prefix },
    });
  return prefix;
}

export interface TopologySettings {
  readonly prefix: string;
  readonly dedupWindowMs: number;
  readonly replicas: number;
}

/** What the stream's description keeps of the channel (server 2.9 has no stream metadata). */
export interface Description {
  switchyard: 1;
  channel: string;
  partitions: number;
  idleExpiryMs?: number;
}

function describe(spec: ChannelSpec): string {
  return JSON.stringify({
    switchyard: 1,
    channel: spec.name,
    partitions: spec.partitions,
    ...(spec.idleExpiryMs === undefined ? {} : { idleExpiryMs: spec.idleExpiryMs }),
  } satisfies Description);
}

export function readDescription(description: string | undefined): Description | undefined {
  try {
    const parsed = JSON.parse(description ?? '') as Partial<Description>;
    if (typeof parsed.partitions !== 'number') return undefined;
    return {
      switchyard: 1,
      channel: typeof parsed.channel === 'string' ? parsed.channel : '',
      partitions: parsed.partitions,
      ...(typeof parsed.idleExpiryMs === 'number' ? { idleExpiryMs: parsed.idleExpiryMs } : {}),
    };
  } catch {
    return undefined;
  }
}

export function partitionsOf(description: string | undefined): number | undefined {
  return readDescription(description)?.partitions;
}

/** The partition count the channel's stream keeps; undefined when the stream does not exist. */
export async function storedPartitions(jsm: JetStreamManager, names: Names): Promise<number | undefined> {
  try {
    return partitionsOf((await jsm.streams.info(names.stream)).config.description) ?? 0;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export function isNotFound(error: unknown): boolean {
  const api = (error as { api_error?: { err_code?: number } }).api_error;
  return (
    api?.err_code === 10059 || api?.err_code === 10014 || (error as Error).message?.includes('not found')
  );
}

function mismatch(spec: ChannelSpec, existing: number | undefined): SwitchyardError {
  return new SwitchyardError(
    'FAILED_PRECONDITION',
    `Channel ${spec.name} exists with ${existing ?? 'an unknown number of'} partitions, not ${spec.partitions}`,
    { details: { channel: spec.name, partitions: spec.partitions, existing: existing ?? null } },
  );
}

export function checkSpec(spec: ChannelSpec): void {
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1)
    throw new SwitchyardError('INVALID_ARGUMENT', 'partitions must be a positive integer', {
      details: { channel: spec.name, partitions: spec.partitions },
    });
  if (spec.idleExpiryMs !== undefined && !(Number.isInteger(spec.idleExpiryMs) && spec.idleExpiryMs > 0))
    throw new SwitchyardError('INVALID_ARGUMENT', 'idleExpiryMs must be a positive integer', {
      details: { channel: spec.name, idleExpiryMs: spec.idleExpiryMs },
    });
}

/**
 * Creates the channel's stream if missing; an existing stream must have the same partition count.
 * Returns the channel as stored: the first declaration's `idleExpiryMs` wins, as its partitions do.
 */
export async function declareChannel(
  nats: NatsModule,
  jsm: JetStreamManager,
  settings: TopologySettings,
  spec: ChannelSpec,
): Promise<Description> {
  checkSpec(spec);
  const names = namesFor(settings.prefix, spec.name);
  const stored = (info: StreamInfo): Description => {
    const found = readDescription(info.config.description);
    if (found?.partitions !== spec.partitions) throw mismatch(spec, found?.partitions);
    return found;
  };
  try {
    return stored(await jsm.streams.info(names.stream));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const maxAgeMs = spec.retentionMs ?? 0;
  const dedupMs = maxAgeMs > 0 ? Math.min(settings.dedupWindowMs, maxAgeMs) : settings.dedupWindowMs;
  const config: Partial<StreamConfig> = {
    name: names.stream,
    description: describe(spec),
    subjects: [names.subjects],
    storage: nats.StorageType.File,
    retention: nats.RetentionPolicy.Limits,
    discard: nats.DiscardPolicy.Old,
    max_age: nats.nanos(maxAgeMs),
    duplicate_window: nats.nanos(dedupMs),
    num_replicas: settings.replicas,
  };
  try {
    return stored(await jsm.streams.add(config));
  } catch (error) {
    // Created concurrently by someone else: same config is fine, another partition count is not.
    const info = await jsm.streams.info(names.stream).catch(() => undefined);
    if (!info) throw error;
    return stored(info);
  }
}

/** A durable consumer as the server keeps it; undefined when it does not exist. */
export async function consumerInfo(
  jsm: JetStreamManager,
  names: Names,
  group: string,
  partition: number,
): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(names.stream, names.durable(group, partition));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export interface GroupSettings {
  /** The durables' ack_wait (the lease). */
  readonly ackWaitMs: number;
  /** Where durables created now begin; default `'oldest'`. */
  readonly start?: GroupStart;
  /** The durables' `inactive_threshold` when the group is created now (`ConsumerOptions.idleExpiryMs`). */
  readonly idleExpiryMs?: number;
}

/** A durable's `inactive_threshold` in ms; undefined when it never expires. */
function idleExpiryOf(info: ConsumerInfo): number | undefined {
  const threshold = info.config.inactive_threshold ?? 0;
  return threshold > 0 ? Math.round(threshold / 1e6) : undefined;
}

/**
 * Creates a group's missing durable consumers, one per partition. The group's settings are those of
 * the durables it already has: `settings.idleExpiryMs` applies only to a group created now, so a group
 * declared without it never starts expiring, and one the server is removing partition after partition
 * stays one expiring group when consumed again. Returns the shortest idle expiry among the group's
 * durables (what its members must keep them active against); undefined when none expires.
 */
export async function declareGroup(
  nats: NatsModule,
  jsm: JetStreamManager,
  names: Names,
  group: string,
  partitions: number,
  settings: GroupSettings,
): Promise<number | undefined> {
  const infos = await Promise.all(
    Array.from({ length: partitions }, (_, p) => consumerInfo(jsm, names, group, p)),
  );
  const existing = infos.find((info) => info !== undefined);
  const idleExpiryMs = existing ? idleExpiryOf(existing) : settings.idleExpiryMs;
  for (let p = 0; p < partitions; p++)
    infos[p] ??= await declareConsumer(nats, jsm, names, group, p, { ...settings, idleExpiryMs });
  const expiries = infos.map((info) => idleExpiryOf(info!)).filter((ms) => ms !== undefined);
  return expiries.length > 0 ? Math.min(...expiries) : undefined;
}

/**
 * Creates a group's durable pull consumer for one partition: from the partition's first message kept
 * (`'oldest'`) or from the next one published (`'end'`), removed by the server once nothing used it
 * for `idleExpiryMs` (`inactive_threshold`). Returns it as the server keeps it (another member's,
 * when one created it concurrently).
 */
async function declareConsumer(
  nats: NatsModule,
  jsm: JetStreamManager,
  names: Names,
  group: string,
  partition: number,
  settings: GroupSettings,
): Promise<ConsumerInfo> {
  const { ackWaitMs, start = 'oldest', idleExpiryMs } = settings;
  const durable = names.durable(group, partition);
  try {
    return await jsm.consumers.add(names.stream, {
      durable_name: durable,
      description: `switchyard group ${group} partition ${partition}`,
      filter_subject: names.subject(partition),
      ack_policy: nats.AckPolicy.Explicit,
      deliver_policy: start === 'end' ? nats.DeliverPolicy.New : nats.DeliverPolicy.All,
      replay_policy: nats.ReplayPolicy.Instant,
      max_ack_pending: 1,
      ack_wait: nats.nanos(ackWaitMs),
      max_deliver: -1,
      max_waiting: 512,
      ...(idleExpiryMs === undefined ? {} : { inactive_threshold: nats.nanos(idleExpiryMs) }),
    });
  } catch (error) {
    // Created concurrently by another member: fine if it exists now.
    const info = await consumerInfo(jsm, names, group, partition);
    if (!info) throw error;
    return info;
  }
}
