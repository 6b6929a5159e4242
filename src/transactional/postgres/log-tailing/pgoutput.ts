/**
 * A decoder for the messages of PostgreSQL's `pgoutput` logical decoding plugin, protocol version 1
 * (https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html), for what the
 * outbox needs: transaction boundaries, relation descriptions and inserted rows in text format.
 * Anything else (updates, deletes, truncates, types, origins) is reported as `other` and ignored.
 */

export type Lsn = bigint;

export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function parseLsn(text: string): Lsn {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) throw new RangeError(`not an LSN: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** Microseconds since 2000-01-01 (PostgreSQL's epoch) as Unix milliseconds. */
const postgresEpochMs = Date.UTC(2000, 0, 1);
export const pgTimeToMs = (micros: bigint): number => postgresEpochMs + Number(micros / 1000n);
export const msToPgTime = (ms: number): bigint => BigInt(ms - postgresEpochMs) * 1000n;

export interface Relation {
  readonly id: number;
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly string[];
}

/** A column value of an inserted row: text, null, or unchanged TOAST (never for inserts). */
export type Value = string | null | undefined;

export type PgOutputMessage =
  | { readonly type: 'begin'; readonly finalLsn: Lsn; readonly commitTimeMs: number; readonly xid: number }
  | { readonly type: 'commit'; readonly commitLsn: Lsn; readonly endLsn: Lsn; readonly commitTimeMs: number }
  | { readonly type: 'relation'; readonly relation: Relation }
  | { readonly type: 'insert'; readonly relationId: number; readonly values: readonly Value[] }
  | { readonly type: 'other'; readonly tag: string };

class Reader {
  offset = 0;
  constructor(private readonly buffer: Buffer) {}
  byte(): number {
    return this.buffer.readUInt8(this.offset++);
  }
  int16(): number {
    const v = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  int32(): number {
    const v = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  uint64(): bigint {
    const v = this.buffer.readBigUInt64BE(this.offset);
    this.offset += 8;
    return v;
  }
  /** A NUL-terminated string. */
  cstring(): string {
    const end = this.buffer.indexOf(0, this.offset);
    if (end < 0) throw new RangeError('unterminated string in pgoutput message');
    const s = this.buffer.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return s;
  }
  text(length: number): string {
    const s = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return s;
  }
}

export function decodePgOutput(buffer: Buffer): PgOutputMessage {
  const r = new Reader(buffer);
  const tag = String.fromCharCode(r.byte());
  switch (tag) {
    case 'B': {
      const finalLsn = r.uint64();
      const commitTimeMs = pgTimeToMs(r.uint64());
      return { type: 'begin', finalLsn, commitTimeMs, xid: r.int32() };
    }
    case 'C': {
      r.byte(); // flags, unused
      const commitLsn = r.uint64();
      const endLsn = r.uint64();
      return { type: 'commit', commitLsn, endLsn, commitTimeMs: pgTimeToMs(r.uint64()) };
    }
    case 'R': {
      const id = r.int32();
      const schema = r.cstring();
      const name = r.cstring();
      r.byte(); // replica identity
      const count = r.int16();
      const columns: string[] = [];
      for (let i = 0; i < count; i++) {
        r.byte(); // flags (part of the key)
        columns.push(r.cstring());
        r.int32(); // type oid
        r.int32(); // type modifier
      }
      return { type: 'relation', relation: { id, schema, name, columns } };
    }
    case 'I': {
      const relationId = r.int32();
      r.byte(); // 'N': a new tuple follows
      return { type: 'insert', relationId, values: tuple(r) };
    }
    default:
      return { type: 'other', tag };
  }
}

function tuple(r: Reader): Value[] {
  const count = r.int16();
  const values: Value[] = [];
  for (let i = 0; i < count; i++) {
    const kind = String.fromCharCode(r.byte());
    if (kind === 'n') values.push(null);
    else if (kind === 'u') values.push(undefined);
    else if (kind === 't') values.push(r.text(r.int32()));
    else throw new RangeError(`unsupported pgoutput column kind ${kind}`);
  }
  return values;
}

/** `bytea` in text output (hex format, PostgreSQL 9.0+ default) as bytes. */
export function byteaFromText(text: string): Buffer {
  if (!text.startsWith('\\x')) throw new RangeError('bytea text is not in hex format (bytea_output = hex)');
  return Buffer.from(text.slice(2), 'hex');
}
