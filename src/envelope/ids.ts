import { randomBytes } from 'node:crypto';
import { v7 } from 'uuid';

/** Time-ordered ids (UUIDv7) so ids sort by creation and index well. */
export const newId: () => string = v7;

// Random bytes are drawn in blocks: one syscall per 512 ids instead of one per id.
let pool = Buffer.alloc(0);
let offset = 0;
function random(size: number): Buffer {
  if (offset + size > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  const slice = pool.subarray(offset, offset + size);
  offset += size;
  return slice;
}

export function newTraceId(): string {
  return random(16).toString('hex');
}

export function newSpanId(): string {
  return random(8).toString('hex');
}
