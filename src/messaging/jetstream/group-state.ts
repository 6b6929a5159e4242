import type { ConsumerInfo, JetStreamManager } from 'nats';
import { unknownChannel, unknownGroup } from '../adapter.js';
import { consumerInfo, storedPartitions, type Names } from './topology.js';

/**
 * What `peek` and `lag` read of a group without consuming: the durable consumer of each partition of
 * the channel's stream (undefined where that durable does not exist). NOT_FOUND for an unknown
 * channel, or a group with no durable at all.
 */
export async function groupConsumers(
  jsm: JetStreamManager,
  names: Names,
  channel: string,
  group: string,
): Promise<(ConsumerInfo | undefined)[]> {
  const partitions = await storedPartitions(jsm, names);
  if (partitions === undefined) throw unknownChannel(channel);
  const consumers = await Promise.all(
    Array.from({ length: partitions }, (_, p) => consumerInfo(jsm, names, group, p)),
  );
  if (consumers.every((consumer) => consumer === undefined)) throw unknownGroup(channel, group);
  return consumers;
}
