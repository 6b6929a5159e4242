import { SwitchyardError } from '../errors/index.js';
import { murmur3 } from '../internal/hash.js';

export { murmur3 };

/**
 * The one partitioning function every adapter uses: murmur3 (x86, 32-bit, seed 0) of the key's UTF-8
 * bytes, modulo the partition count. Same key, same partition, on every engine and in every language
 * that has murmur3.
 */
export function partitionFor(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new RangeError(`partitions must be a positive integer`);
  return partitions === 1 ? 0 : murmur3(Buffer.from(key, 'utf8')) % partitions;
}

/**
 * Rejects a message whose partition the channel does not have, before anything is sent. `partitions`
 * undefined means the count is not known here; only the shape of the number is checked then.
 */
export function assertPartitionInRange(
  message: { channel: string; partition: number },
  partitions?: number,
): void {
  const { channel, partition } = message;
  if (Number.isInteger(partition) && partition >= 0 && (partitions === undefined || partition < partitions))
    return;
  throw new SwitchyardError('OUT_OF_RANGE', `Partition ${partition} is out of range for channel ${channel}`, {
    details: { channel, partition, ...(partitions === undefined ? {} : { partitions }) },
  });
}
