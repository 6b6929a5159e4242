import type { ChannelModel } from 'amqplib';
import { unknownChannel, unknownGroup } from '../adapter.js';
import { exists, partitionQueues } from './peek.js';
import { namesFor } from './topology.js';

/**
 * `lag` on RabbitMQ: the ready messages of the group's partition queues (a passive `queue.declare`
 * each), summed. AMQP reports only ready messages: one a member holds unacknowledged is known to the
 * management plugin, not to AMQP, so it is not counted (`capabilities.lagReadyOnly`); with prefetch 1
 * that is at most one per partition. A probe (`probeHeader`) waiting in a queue is counted: one per
 * partition given up by a member that closed, until the next owner takes it. Nothing is consumed.
 */
export async function lag(
  model: ChannelModel,
  settings: { prefix: string; partitions: number | undefined },
  channel: string,
  group: string,
): Promise<number> {
  const names = namesFor(settings.prefix, channel);
  const queues = await partitionQueues(model, names, group, settings.partitions);
  if (queues.length === 0)
    throw (await exists(model, names.meta)) ? unknownGroup(channel, group) : unknownChannel(channel);
  return queues.reduce((sum, q) => sum + q.ready, 0);
}
