import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchyardError } from '../../errors/index.js';
import { peekLimit, unknownChannel, unknownGroup, type PeekedMessage, type PeekOptions } from '../adapter.js';
import { amqpCode } from './link.js';
import { applicationHeaders, bodyOf, isProbe } from './message.js';
import { deleteGroupQueues, found, leaseState, namesFor, withChannel, type Names } from './topology.js';

export interface PartitionQueue {
  readonly partition: number;
  /** Messages ready (not out with a consumer). */
  readonly ready: number;
  readonly consumers: number;
}

/**
 * The group's partition queues with their counts, found by name from partition 0 up (AMQP cannot read
 * a queue's arguments back, so the partition count is known only where this adapter declared it).
 */
export async function partitionQueues(
  model: ChannelModel,
  names: Names,
  group: string,
  partitions: number | undefined,
): Promise<PartitionQueue[]> {
  const found: PartitionQueue[] = [];
  await withChannel(model, async (ch) => {
    for (let partition = 0; partitions === undefined || partition < partitions; partition++) {
      try {
        const { messageCount, consumerCount } = await ch.checkQueue(names.queue(group, partition));
        found.push({ partition, ready: messageCount, consumers: consumerCount });
      } catch (error) {
        if (amqpCode(error) === 404) return; // the channel is closed by the broker: no more checks on it
        throw error;
      }
    }
  });
  return found;
}

/**
 * The group's partition queues, for `peek` and `lag`; NOT_FOUND when there are none (`details.group` when
 * the channel exists). A group whose lease lapsed (no member for its `idleExpiryMs`) is no group either:
 * what RabbitMQ has not deleted yet is deleted here, with its record. The lease decides, not the partition
 * queues' own expiry, which every peek renews (it consumes them).
 */
export async function groupQueues(
  model: ChannelModel,
  settings: { readonly prefix: string; readonly partitions: number | undefined },
  channel: string,
  group: string,
  leases?: LeaseMemo,
): Promise<PartitionQueue[]> {
  const names = namesFor(settings.prefix, channel);
  const queues = await partitionQueues(model, names, group, settings.partitions);
  if (queues.length > 0 && (await leaseOf(model, names, group, leases)) === 'lapsed') {
    await deleteGroupQueues(model, settings, channel, group, settings.partitions ?? queues.length);
    throw unknownGroup(channel, group);
  }
  if (queues.length === 0)
    throw (await found(model, (ch) => ch.checkQueue(names.meta)))
      ? unknownGroup(channel, group)
      : unknownChannel(channel);
  return queues;
}

/**
 * Groups known to have no lease (they never expire), until when: asking RabbitMQ about an object that
 * does not exist fails the AMQP channel, which the broker logs as an error, and `lag` is asked every
 * metrics scrape. A group made anew with an expiry meanwhile is checked again once that time passed.
 */
export class LeaseMemo {
  private readonly none = new Map<string, number>();

  constructor(private readonly trustMs = 60_000) {}

  /** `lease`: the name of the group's lease (`Names.lease`). */
  has(lease: string): boolean {
    const until = this.none.get(lease);
    return until !== undefined && until > Date.now();
  }

  remember(lease: string): void {
    this.none.set(lease, Date.now() + this.trustMs);
  }
}

async function leaseOf(model: ChannelModel, names: Names, group: string, leases: LeaseMemo | undefined) {
  if (leases?.has(names.lease(group))) return 'none';
  const state = await leaseState(model, names, group);
  if (state === 'none') leases?.remember(names.lease(group));
  return state;
}

/** The most a consumer's prefetch can be (AMQP's `prefetch-count` is 16 bits), so the most peek reads per queue. */
export const maxPeekablePerQueue = 65_535;

/**
 * Subscribes to one partition queue with a prefetch of every ready message and collects them,
 * unacknowledged, until all came or nothing came for `quietMs`. Probes are acknowledged (dropped):
 * they tell an active member it owns the partition, and while peek is active there is none.
 */
async function receiveAll(
  ch: Channel,
  queue: string,
  ready: number,
  quietMs: number,
): Promise<ConsumeMessage[]> {
  await ch.prefetch(ready, false);
  return new Promise((resolve, reject) => {
    const got: ConsumeMessage[] = [];
    let seen = 0;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      if (!finished) resolve(got.slice());
      finished = true;
    };
    const wait = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    };
    ch.consume(
      queue,
      (msg) => {
        // Null: cancelled by the broker (queue deleted). A message after the end is returned with the rest.
        if (msg === null || finished) return finish();
        seen++;
        if (isProbe(msg)) ch.ack(msg);
        else got.push(msg);
        if (seen >= ready) finish();
        else wait();
      },
      { noAck: false },
    ).then(wait, reject);
  });
}

export interface PeekSettings {
  readonly prefix: string;
  /** Partition count when this adapter declared the channel (otherwise the queues are counted). */
  readonly partitions: number | undefined;
  /** How long a partition may stay silent before peek takes what it got; default 1000 ms. */
  readonly quietMs?: number;
}

/**
 * `peek` on RabbitMQ. A quorum queue with single active consumer can be read only by consuming it
 * (`basic.get` is refused), so peek subscribes, on one channel, to each partition queue of the group in
 * turn with a prefetch of all its ready messages, holds them unacknowledged, and closes the channel:
 * the broker returns them and only then gives the queue to the next consumer.
 *
 * Why it reads a whole queue, whatever `limit`: RabbitMQ 3.x puts returned messages in a list served
 * before the queue's other messages, and appends to it. Returning a prefix of that list would put it
 * behind the rest; returning all of it, in order, keeps the order.
 *
 * What it costs (see docs/messaging-rabbitmq.md): every message of every queue read (all partitions up
 * to the one where `limit` is reached) counts one delivery (`x-delivery-count` + 1, an attempt against
 * `x-delivery-limit`), and they stay in the returned list until consumed. A partition a member is
 * consuming is refused: peek would only be its standby and see nothing.
 */
export async function peek(
  model: ChannelModel,
  settings: PeekSettings,
  channel: string,
  group: string,
  options?: PeekOptions,
): Promise<PeekedMessage[]> {
  const limit = peekLimit(options);
  const names = namesFor(settings.prefix, channel);
  const quietMs = settings.quietMs ?? 1_000;
  let queues = await groupQueues(model, settings, channel, group);
  // A consumer whose channel just closed (a member, or the previous peek) is removed by the queue a
  // moment after the close is confirmed: give it that moment before calling the group consumed.
  for (const giveUpAt = Date.now() + quietMs; ;) {
    const consumed = queues.filter((q) => q.consumers > 0).map((q) => q.partition);
    if (consumed.length === 0) break;
    if (Date.now() >= giveUpAt) throw beingConsumed(channel, group, consumed);
    await sleep(50);
    queues = await partitionQueues(model, names, group, queues.length);
  }
  const huge = queues.find((q) => q.ready > maxPeekablePerQueue);
  if (huge)
    throw new SwitchyardError(
      'FAILED_PRECONDITION',
      `Partition ${huge.partition} of group ${group} on channel ${channel} holds ${huge.ready} messages: RabbitMQ can peek at most ${maxPeekablePerQueue} per partition`,
      { details: { channel, group, partition: huge.partition, ready: huge.ready, max: maxPeekablePerQueue } },
    );
  const out: PeekedMessage[] = [];
  const ch = await model.createChannel();
  ch.on('error', () => {});
  try {
    for (const { partition, ready } of queues) {
      if (out.length >= limit) break;
      if (ready === 0) continue;
      const got = await receiveAll(ch, names.queue(group, partition), ready, quietMs);
      if (got.length === 0) {
        // Nothing although messages were ready: a member subscribed first and peek is its standby.
        const now = await partitionQueues(model, names, group, partition + 1);
        if ((now[partition]?.consumers ?? 0) > 1) throw beingConsumed(channel, group, [partition]);
      }
      for (const msg of got.slice(0, limit - out.length))
        out.push({
          channel,
          partition,
          id: (msg.properties.messageId as string | undefined) ?? '',
          headers: applicationHeaders(msg),
          body: bodyOf(msg),
        });
    }
  } finally {
    // Closing (rather than cancelling, then returning) hands the messages back and the queue to the next
    // consumer in one step, so no member can receive a later message before the ones peek held.
    await ch.close().catch(() => {});
  }
  return out;
}

function beingConsumed(channel: string, group: string, partitions: number[]): SwitchyardError {
  return new SwitchyardError(
    'FAILED_PRECONDITION',
    `Group ${group} of channel ${channel} is being consumed (partitions ${partitions.join(', ')}): RabbitMQ cannot show its messages without taking them from the member; stop its members to peek`,
    { details: { channel, group, partitions } },
  );
}
