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
