import { murmur3 } from '../messaging/partition.js';

/**
 * The ordering unit of the outbox: every row of one channel partition falls in one lane, and a lane
 * is relayed by one relay at a time, in row order. Several partitions may share a lane (a hash
 * collision only serializes them); one partition never spans two lanes.
 */
export function laneFor(channel: string, partition: number, lanes: number): number {
  return murmur3(Buffer.from(`${channel}\u0000${partition}`, 'utf8')) % lanes;
}
