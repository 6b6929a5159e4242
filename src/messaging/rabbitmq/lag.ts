import type { ChannelModel } from 'amqplib';
import { groupQueues, type LeaseMemo } from './peek.js';

/**
 * `lag` on RabbitMQ: the ready messages of the group's partition queues (a passive `queue.declare`
 * each), summed. AMQP reports only ready messages: one a member holds unacknowledged is known to the
 * management plugin, not to AMQP, so it is not counted (`capabilities.lagReadyOnly`); with prefetch 1
 * that is at most one per partition. A probe (`probeHeader`) waiting in a queue is counted: one per
 * partition given up by a member that closed, until the next owner takes it. Nothing is consumed; a
 * lapsed group is NOT_FOUND, and deleted, as for `peek` (see `groupQueues`); `leases` spares the
 * lease check of groups known not to expire.
 */
export async function lag(
  model: ChannelModel,
  settings: { prefix: string; partitions: number | undefined },
  channel: string,
  group: string,
  leases?: LeaseMemo,
): Promise<number> {
  const queues = await groupQueues(model, settings, channel, group, leases);
  return queues.reduce((sum, q) => sum + q.ready, 0);
}
