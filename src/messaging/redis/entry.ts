import { fields } from './publisher.js';

/** A stream entry as `XREADGROUP`, `XAUTOCLAIM` and `XRANGE` return it (fields null once deleted). */
export type RawEntry = [Buffer, Buffer[] | null];

export interface Entry {
  /** The stream entry id (`<ms>-<seq>`), what XACK and XPENDING name. */
  readonly entryId: string;
  /** The envelope id the publisher stored. */
  readonly id: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
  /** Server time of the XADD, from the entry id. */
  readonly publishedAt: number;
}

/** Whether stream entry id `a` (`<ms>-<seq>`) comes after `b`. */
export function isAfter(a: string, b: string): boolean {
  const [aMs, aSeq] = a.split('-').map(Number);
  const [bMs, bSeq] = b.split('-').map(Number);
  return aMs! > bMs! || (aMs === bMs && aSeq! > bSeq!);
}

export function parseEntry([rawId, raw]: RawEntry): Entry {
  const values = new Map<string, Buffer>();
  for (let i = 0; raw && i + 1 < raw.length; i += 2) values.set(raw[i]!.toString(), raw[i + 1]!);
  let headers: Record<string, string> = {};
  try {
    headers = JSON.parse(values.get(fields.headers)?.toString() ?? '{}') as Record<string, string>;
  } catch {
    // Not written by Switchyard: shown with no headers rather than lost.
  }
  const body = values.get(fields.body) ?? Buffer.alloc(0);
  const entryId = rawId.toString();
  return {
    entryId,
    id: values.get(fields.id)?.toString() ?? entryId,
    headers,
    body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    publishedAt: Number(entryId.split('-')[0]),
  };
}
