import { randomBytes } from 'node:crypto';

// Random bytes are drawn in blocks: one syscall per few hundred ids instead of one per id.
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

const hex: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

let lastMs = -1;
let sequence = 0;

/**
 * Time-ordered ids (UUIDv7, RFC 9562) so ids sort by creation and index well. Within one millisecond
 * the 12 bits after the version count up from a random start (RFC 9562 method 1), so ids made in
 * the same process stay in creation order.
 */
export function newId(): string {
  let ms = Date.now();
  if (ms > lastMs) {
    lastMs = ms;
    sequence = random(2).readUInt16BE(0) & 0x7ff;
  } else {
    ms = lastMs;
    if (++sequence > 0xfff) {
      // The counter ran out inside this millisecond: borrow the next one.
      lastMs = ++ms;
      sequence = 0;
    }
  }
  const r = random(8);
  const hi = Math.floor(ms / 0x10000);
  const lo = ms & 0xffff;
  return (
    hex[(hi >>> 24) & 0xff]! +
    hex[(hi >>> 16) & 0xff]! +
    hex[(hi >>> 8) & 0xff]! +
    hex[hi & 0xff]! +
    '-' +
    hex[lo >>> 8]! +
    hex[lo & 0xff]! +
    '-' +
    hex[0x70 | (sequence >>> 8)]! +
    hex[sequence & 0xff]! +
    '-' +
    hex[0x80 | (r[0]! & 0x3f)]! +
    hex[r[1]!]! +
    '-' +
    hex[r[2]!]! +
    hex[r[3]!]! +
    hex[r[4]!]! +
    hex[r[5]!]! +
    hex[r[6]!]! +
    hex[r[7]!]!
  );
}

export function newTraceId(): string {
  return random(16).toString('hex');
}

export function newSpanId(): string {
  return random(8).toString('hex');
}
