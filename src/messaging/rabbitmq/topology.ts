import type { Channel, ChannelModel } from 'amqplib';
import { SwitchyardError } from '../../errors/index.js';
import type { ChannelSpec } from '../adapter.js';
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
 */
export interface Names {
  readonly exchange: string;
  readonly meta: string;
  readonly groups: string;
  readonly dead: string;
  readonly unrouted: string;
  queue(group: string, partition: number): string;
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
          'x-queue-type': 'quorum',
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
      await ch.assertQueue(names.dead, { durable: true, arguments: { 'x-queue-type': 'quorum', ...expiry } });
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

/** Arguments of a group's partition queue; RabbitMQ refuses a re-declaration with different ones. */
function queueArguments(
  settings: TopologySettings,
  spec: ChannelSpec,
  names: Names,
): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-single-active-consumer': true,
    'x-delivery-limit': settings.deliveryLimit,
    'x-dead-letter-exchange': names.dead,
    ...(spec.retentionMs === undefined ? {} : { 'x-message-ttl': spec.retentionMs }),
    ...expiryOf(spec),
  };
}

/**
 * Declares a group's partition queues and bindings (idempotent). A group receives what is published
 * after its queues exist: RabbitMQ queues have no history to replay.
 */
export async function declareGroup(
  model: ChannelModel,
  settings: TopologySettings,
  spec: ChannelSpec,
  group: string,
): Promise<void> {
  validName('group', group);
  const names = namesFor(settings.prefix, spec.name);
  let exists = true;
  await withChannel(model, (ch) => ch.checkQueue(names.queue(group, spec.partitions - 1))).catch(
    (error: unknown) => {
      if (amqpCode(error) !== 404) throw error;
      exists = false;
    },
  );
  try {
    await withChannel(model, async (ch) => {
      const args = queueArguments(settings, spec, names);
      for (let p = 0; p < spec.partitions; p++) {
        await ch.assertQueue(names.queue(group, p), { durable: true, arguments: args });
        await ch.bindQueue(names.queue(group, p), names.exchange, routingKey(p));
      }
      if (!exists) {
        const record = JSON.stringify({ group, partitions: spec.partitions });
        ch.sendToQueue(names.groups, Buffer.from(record), { persistent: true });
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

/** Deletes a group's partition queues (with what they hold) and its record. */
export async function deleteGroupQueues(
  model: ChannelModel,
  settings: TopologySettings,
  channel: string,
  group: string,
  partitions: number,
): Promise<void> {
  const names = namesFor(settings.prefix, channel);
  await withChannel(model, async (ch) => {
    for (let p = 0; p < partitions; p++) await ch.deleteQueue(names.queue(group, p));
  });
  await withChannel(model, async (ch) => {
    for await (const record of groupRecords(ch, names)) if (record.group === group) ch.ack(record.msg);
  }).catch((error: unknown) => {
    if (amqpCode(error) !== 404) throw error;
  });
}

function parseRecord(content: Buffer): { group: string; partitions: number } | undefined {
  try {
    const record = JSON.parse(content.toString('utf8')) as { group?: unknown; partitions?: unknown };
    if (typeof record.group === 'string' && typeof record.partitions === 'number')
      return { group: record.group, partitions: record.partitions };
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
    for (const [group, partitions] of groups)
      for (let p = 0; p < partitions; p++) await ch.deleteQueue(names.queue(group, p));
    await ch.deleteQueue(names.groups);
    await ch.deleteQueue(names.dead);
    await ch.deleteQueue(names.unrouted);
    await ch.deleteQueue(names.meta);
    await ch.deleteExchange(names.dead);
    await ch.deleteExchange(names.unrouted);
    await ch.deleteExchange(names.exchange);
  });
}
