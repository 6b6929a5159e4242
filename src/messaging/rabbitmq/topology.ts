import type { Channel, ChannelModel } from 'amqplib';
import { SwitchyardError } from '../../errors/index.js';
import { checkGroupIdleExpiry, type ChannelSpec } from '../adapter.js';
import { amqpCode } from './link.js';

/**
 * How a Switchyard channel maps onto RabbitMQ objects (all durable):
 *
 * - `<prefix>.<channel>`            direct exchange; a message goes out with routing key `p<partition>`
 * - `<prefix>.<channel>.meta`       classic queue that only records the partition count (`x-max-length`,
 *                                   which RabbitMQ checks on every re-declaration, so a different count is refused)
 * - `<prefix>.<channel>.groups`     classic queue holding one message per group ever declared (so any
 *                                   process can find and delete the group queues)
 * - `<prefix>.<channel>.<group>.p<n>` quorum queue per group and partition, single active consumer,
 *                                   bound to the exchange with routing key `p<n>`
 * - `<prefix>.<channel>.dead`       fanout exchange + quorum queue receiving what RabbitMQ itself
 *                                   dead-letters (delivery limit exceeded, message TTL expired)
 * - `<prefix>.<channel>.unrouted`   fanout exchange (the channel exchange's alternate exchange) + quorum
 *                                   queue keeping messages published while their partition had no group
 * - `<prefix>.<channel>.<group>.lease` classic queue + auto-delete fanout exchange, for a group created
 *                                   with `idleExpiryMs` only (see `declareLease`)
 */
export interface Names {
  readonly exchange: string;
  readonly meta: string;
  readonly groups: string;
  readonly dead: string;
  readonly unrouted: string;
  queue(group: string, partition: number): string;
  /** An expiring group's lease: a queue and an exchange of that name (see `declareLease`). */
  lease(group: string): string;
}

export function namesFor(prefix: string, channel: string): Names {
  const base = `${prefix}.${channel}`;
  return {
    exchange: base,
    meta: `${base}.meta`,
    groups: `${base}.groups`,
    dead: `${base}.dead`,
    unrouted: `${base}.unrouted`,
    queue: (group, partition) => `${base}.${group}.p${partition}`,
    lease: (group) => `${base}.${group}.lease`,
  };
}

export const routingKey = (partition: number): string => `p${partition}`;

export interface TopologySettings {
  readonly prefix: string;
  /**
   * RabbitMQ's own poison limit (`x-delivery-limit`): after this many returns the broker dead-letters
   * the message to `<prefix>.<channel>.dead`. Switchyard's messaging layer dead-letters (with a reason)
   * long before; this is the backstop for a consumer that crashes on every delivery.
   */
  readonly deliveryLimit: number;
  /** Most messages kept in `<prefix>.<channel>.unrouted` (oldest dropped first). */
  readonly unroutedMaxLength: number;
}

/** Runs `fn` on a short-lived channel: a failed declaration closes the channel it ran on, never a long-lived one. */
export async function withChannel<T>(model: ChannelModel, fn: (ch: Channel) => Promise<T>): Promise<T> {
  const ch = await model.createChannel();
  ch.on('error', () => {});
  try {
    return await fn(ch);
  } finally {
    await ch.close().catch(() => {});
  }
}

function validName(kind: string, name: string): void {
  // Dots separate our name parts; the total must fit RabbitMQ's 255-byte limit.
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.:-]*$/.test(name) || Buffer.byteLength(name) > 200)
    throw new SwitchyardError(
      'INVALID_ARGUMENT',
      `Invalid ${kind} name for RabbitMQ: ${JSON.stringify(name)}`,
    );
}

export async function declareChannel(
  model: ChannelModel,
  settings: TopologySettings,
  spec: ChannelSpec,
): Promise<void> {
  validName('channel', spec.name);
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1)
    throw new SwitchyardError('INVALID_ARGUMENT', `partitions must be a positive integer`);
  const names = namesFor(settings.prefix, spec.name);
  const expiry = expiryOf(spec);
  // An expiring channel's exchanges go with their last bound queue.
  const exchange = { durable: true, autoDelete: spec.idleExpiryMs !== undefined };
  // Its unrouted and dead-letter queues, which nobody consumes, are kept alive by re-declaring them
  // (see the consumer's `renewExpiry`). A quorum queue does not count a re-declaration as a use
  // (rabbitmq-server#5894): it would expire under a live consumer, with what it held. A classic one does.
  const storeType = spec.idleExpiryMs === undefined ? { 'x-queue-type': 'quorum' } : {};
  try {
    await withChannel(model, async (ch) => {
      await ch.assertQueue(names.meta, {
        durable: true,
        arguments: { 'x-max-length': spec.partitions, 'x-switchyard-partitions': spec.partitions, ...expiry },
      });
      // Messages no group queue takes go to the alternate exchange, so a confirm always means stored.
      await ch.assertExchange(names.unrouted, 'fanout', exchange);
      await ch.assertQueue(names.unrouted, {
        durable: true,
        arguments: {
          ...storeType,
          'x-max-length': settings.unroutedMaxLength,
          ...(spec.retentionMs === undefined ? {} : { 'x-message-ttl': spec.retentionMs }),
          ...expiry,
        },
      });
      await ch.bindQueue(names.unrouted, names.unrouted, '');
      await ch.assertExchange(names.exchange, 'direct', {
        ...exchange,
        alternateExchange: names.unrouted,
        arguments: { 'x-switchyard-partitions': spec.partitions },
      });
      await ch.assertExchange(names.dead, 'fanout', exchange);
      await ch.assertQueue(names.dead, { durable: true, arguments: { ...storeType, ...expiry } });
      await ch.bindQueue(names.dead, names.dead, '');
      await ch.assertQueue(names.groups, { durable: true, arguments: expiry });
    });
  } catch (error) {
    if (amqpCode(error) === 406)
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        `Channel ${spec.name} already exists on RabbitMQ with a different partition count than ${spec.partitions} (or other settings)`,
        { cause: error, details: { channel: spec.name, partitions: spec.partitions } },
      );
    throw error;
  }
}

/**
 * Queue expiry (`x-expires`) for a channel with `idleExpiryMs`: RabbitMQ deletes a queue unused that
 * long (no consumer, no re-declaration, no get). Consumers re-declare the channel's queues while they
 * run (see the consumer), so only the queues of a process that is gone expire.
 */
function expiryOf(spec: ChannelSpec): Record<string, number> {
  return spec.idleExpiryMs === undefined ? {} : { 'x-expires': spec.idleExpiryMs };
}

/**
 * Arguments of a group's partition queue; RabbitMQ refuses a re-declaration with different ones. A group
 * created with `idleExpiryMs` (`groupExpiryMs`) gets it as `x-expires` too, or the channel's if shorter.
 */
function queueArguments(
  settings: TopologySettings,
  spec: ChannelSpec,
  names: Names,
  groupExpiryMs: number | undefined,
): Record<string, unknown> {
  const expiries = [spec.idleExpiryMs, groupExpiryMs].filter((ms) => ms !== undefined);
  return {
    'x-queue-type': 'quorum',
    'x-single-active-consumer': true,
    'x-delivery-limit': settings.deliveryLimit,
    'x-dead-letter-exchange': names.dead,
    ...(spec.retentionMs === undefined ? {} : { 'x-message-ttl': spec.retentionMs }),
    ...(expiries.length === 0 ? {} : { 'x-expires': Math.min(...expiries) }),
  };
}

export interface GroupOptions {
  /** `ConsumerOptions.idleExpiryMs`: applied when the group is created here, ignored when it exists. */
  readonly idleExpiryMs?: number;
}

/**
 * Declares a group's partition queues and bindings (idempotent). A group receives what is published
 * after its queues exist: RabbitMQ queues have no history to replay. Returns the lease queue its members
 * consume to keep it (see `declareLease`) when the group expires, whether created here with
 * `idleExpiryMs` or by another process.
 *
 * A group that exists keeps its settings: one without expiry is re-declared without `x-expires` (with
 * it, RabbitMQ would refuse the declaration), and an expiring one is not re-declared at all (its
 * `x-expires` is its creator's, which AMQP cannot read back), only bound again. A lapsed group is
 * deleted and made anew: what it held expired with it.
 */
export async function declareGroup(
  model: ChannelModel,
  settings: TopologySettings,
  spec: ChannelSpec,
  group: string,
  options: GroupOptions = {},
): Promise<string | undefined> {
  validName('group', group);
  const { idleExpiryMs } = options;
  checkGroupIdleExpiry(spec.name, group, idleExpiryMs);
  const names = namesFor(settings.prefix, spec.name);
  let state = await groupState(model, names, group, spec.partitions);
  if (state === 'lapsed') {
    await deleteGroupQueues(model, settings, spec.name, group, spec.partitions);
    state = 'absent';
  }
  if (state === 'leased') {
    await bindLeasedGroup(model, names, spec, group);
    return names.lease(group);
  }
  const expiresMs = state === 'absent' ? idleExpiryMs : undefined;
  try {
    await withChannel(model, async (ch) => {
      if (expiresMs !== undefined) await declareLease(ch, names, group, expiresMs);
      const args = queueArguments(settings, spec, names, expiresMs);
      for (let p = 0; p < spec.partitions; p++) {
        await ch.assertQueue(names.queue(group, p), { durable: true, arguments: args });
        await ch.bindQueue(names.queue(group, p), names.exchange, routingKey(p));
        if (expiresMs !== undefined) await ch.bindQueue(names.queue(group, p), names.lease(group), '');
      }
      if (state === 'absent') {
        const record: GroupRecord = { group, partitions: spec.partitions, idleExpiryMs: expiresMs };
        ch.sendToQueue(names.groups, Buffer.from(JSON.stringify(record)), { persistent: true });
      }
    });
  } catch (error) {
    if (amqpCode(error) === 406)
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        `Group ${group} of channel ${spec.name} exists on RabbitMQ with different queue settings`,
        { cause: error, details: { channel: spec.name, group } },
      );
    if (amqpCode(error) === 404)
      throw new SwitchyardError('NOT_FOUND', `Channel ${spec.name} does not exist on RabbitMQ`, {
        cause: error,
        details: { channel: spec.name },
      });
    throw error;
  }
  // Each group a tool makes for itself adds a record that nothing else would take out once it expired.
  // Best effort: the next expiring group made prunes again.
  if (expiresMs !== undefined) await pruneRecords(model, names, group).catch(() => {});
  return expiresMs === undefined ? undefined : names.lease(group);
}

/**
 * An expiring group's lease, declared before its partition queues: a classic queue with `x-expires` that
 * every member consumes and nothing is sent to, and an auto-delete fanout exchange of the same name bound
 * to it and to every partition queue.
 *
 * The partition queues' own `x-expires` removes them when nobody looks, but cannot tell whether the group
 * lapsed: peek consumes them, which renews their expiry (a quorum queue also checks it only every few
 * seconds). The lease queue is deleted exactly `expiresMs` after its last consumer left, and nothing but
 * a consumer or a declaration renews it. The exchange outlives it until the partition queues are gone
 * too, so an exchange without its queue means a lapsed group, and no exchange a group that never expires.
 */
async function declareLease(ch: Channel, names: Names, group: string, expiresMs: number): Promise<void> {
  const lease = names.lease(group);
  await ch.assertQueue(lease, { durable: true, arguments: { 'x-expires': expiresMs } });
  await ch.assertExchange(lease, 'fanout', { durable: true, autoDelete: true });
  await ch.bindQueue(lease, lease, '');
}

/** Binds the partition queues of an existing expiring group again, as after a channel was made anew. */
async function bindLeasedGroup(model: ChannelModel, names: Names, spec: ChannelSpec, group: string) {
  await withChannel(model, async (ch) => {
    for (let p = 0; p < spec.partitions; p++)
      await ch.bindQueue(names.queue(group, p), names.exchange, routingKey(p));
  }).catch((error: unknown) => {
    if (amqpCode(error) !== 404) throw error;
    // Retried by the consumer: another process is making or removing the group (or the channel).
    throw new SwitchyardError(
      'NOT_FOUND',
      `Group ${group} of channel ${spec.name} is incomplete on RabbitMQ (being made or removed)`,
      { cause: error, details: { channel: spec.name, group } },
    );
  });
}

/** Whether `check` succeeds on a short-lived channel; false when RabbitMQ answers 404 (no such object). */
export async function found(model: ChannelModel, check: (ch: Channel) => Promise<unknown>): Promise<boolean> {
  try {
    await withChannel(model, check);
    return true;
  } catch (error) {
    if (amqpCode(error) === 404) return false;
    throw error;
  }
}

/**
 * Whether a group expires, and if so whether it lapsed (no member for its `idleExpiryMs`; its partition
 * queues may still be there), from its lease (see `declareLease`). Reads without renewing: a purge of the
 * lease queue, which holds nothing, where even a passive `queue.declare` would renew its expiry.
 */
export async function leaseState(
  model: ChannelModel,
  names: Names,
  group: string,
): Promise<'none' | 'leased' | 'lapsed'> {
  if (!(await found(model, (ch) => ch.checkExchange(names.lease(group))))) return 'none';
  return (await found(model, (ch) => ch.purgeQueue(names.lease(group)))) ? 'leased' : 'lapsed';
}

/** A group on the broker: absent, kept (it never expires), leased or lapsed (see `leaseState`). */
async function groupState(
  model: ChannelModel,
  names: Names,
  group: string,
  partitions: number,
): Promise<'absent' | 'kept' | 'leased' | 'lapsed'> {
  const lease = await leaseState(model, names, group);
  if (lease !== 'none') return lease;
  const kept = await found(model, (ch) => ch.checkQueue(names.queue(group, partitions - 1)));
  return kept ? 'kept' : 'absent';
}

/**
 * Takes out the records of expiring groups that are gone or lapsed (deleting what is left of a lapsed
 * one), but `current`'s, just made. The records of groups that never expire go only with `deleteGroup`.
 */
async function pruneRecords(model: ChannelModel, names: Names, current: string): Promise<void> {
  await withChannel(model, async (ch) => {
    for await (const record of groupRecords(ch, names)) {
      if (record.idleExpiryMs === undefined || record.group === current) continue;
      const state = await groupState(model, names, record.group, record.partitions);
      // Kept means made anew without expiry after this one lapsed, and recorded again.
      if (state === 'leased') continue;
      if (state === 'lapsed') await deleteQueues(model, names, record.group, record.partitions);
      ch.ack(record.msg);
    }
  });
}

/**
 * Every group record of a channel, taken unacknowledged: what the caller does not acknowledge goes back
 * to the queue when the AMQP channel closes.
 */
async function* groupRecords(ch: Channel, names: Names) {
  for (;;) {
    const msg = await ch.get(names.groups, { noAck: false });
    if (msg === false) return;
    const record = parseRecord(msg.content);
    if (record) yield { msg, ...record };
  }
}

/** Reads the group records of a channel without consuming them. */
async function recordedGroups(ch: Channel, names: Names): Promise<Map<string, number>> {
  const groups = new Map<string, number>();
  for await (const { group, partitions } of groupRecords(ch, names))
    groups.set(group, Math.max(groups.get(group) ?? 0, partitions));
  return groups;
}

/**
 * Deletes a group's partition queues (with what they hold) and lease queue; its lease exchange goes with
 * them (auto-delete).
 */
async function deleteQueues(model: ChannelModel, names: Names, group: string, partitions: number) {
  await withChannel(model, async (ch) => {
    for (let p = 0; p < partitions; p++) await ch.deleteQueue(names.queue(group, p));
    await ch.deleteQueue(names.lease(group));
  });
}

/** Deletes a group's queues (see `deleteQueues`) and its record. */
export async function deleteGroupQueues(
  model: ChannelModel,
  settings: Pick<TopologySettings, 'prefix'>,
  channel: string,
  group: string,
  partitions: number,
): Promise<void> {
  const names = namesFor(settings.prefix, channel);
  await deleteQueues(model, names, group, partitions);
  await withChannel(model, async (ch) => {
    for await (const record of groupRecords(ch, names)) if (record.group === group) ch.ack(record.msg);
  }).catch((error: unknown) => {
    if (amqpCode(error) !== 404) throw error;
  });
}

/** A group's record in `<prefix>.<channel>.groups`; `idleExpiryMs` for a group created with it. */
interface GroupRecord {
  readonly group: string;
  readonly partitions: number;
  readonly idleExpiryMs?: number | undefined;
}

function parseRecord(content: Buffer): GroupRecord | undefined {
  try {
    const record = JSON.parse(content.toString('utf8')) as Partial<Record<keyof GroupRecord, unknown>>;
    if (typeof record.group === 'string' && typeof record.partitions === 'number')
      return {
        group: record.group,
        partitions: record.partitions,
        ...(typeof record.idleExpiryMs === 'number' ? { idleExpiryMs: record.idleExpiryMs } : {}),
      };
  } catch {
    // Not ours: ignore.
  }
  return undefined;
}

/** Deletes every object of a channel: group queues (recorded in the broker or known here), exchanges, meta queues. */
export async function deleteTopology(
  model: ChannelModel,
  settings: TopologySettings,
  channel: string,
  known: ReadonlyMap<string, number>,
): Promise<void> {
  const names = namesFor(settings.prefix, channel);
  const groups = new Map(known);
  await withChannel(model, async (ch) => {
    for (const [group, partitions] of await recordedGroups(ch, names).catch(() => new Map<string, number>()))
      groups.set(group, Math.max(groups.get(group) ?? 0, partitions));
  }).catch(() => {});
  await withChannel(model, async (ch) => {
    for (const [group, partitions] of groups) {
      for (let p = 0; p < partitions; p++) await ch.deleteQueue(names.queue(group, p));
      await ch.deleteQueue(names.lease(group));
    }
    await ch.deleteQueue(names.groups);
    await ch.deleteQueue(names.dead);
    await ch.deleteQueue(names.unrouted);
    await ch.deleteQueue(names.meta);
    await ch.deleteExchange(names.dead);
    await ch.deleteExchange(names.unrouted);
    await ch.deleteExchange(names.exchange);
  });
}
