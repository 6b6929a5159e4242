import type { Codec } from './codec.js';
import { json } from './json.js';
import { msgpack } from './msgpack.js';

/** What every transport speaks unless told otherwise; JSON first, so it is the default. */
export const defaultCodecs: readonly Codec[] = [json, msgpack];

/** Other names clients use for the same formats. */
const aliases: Readonly<Record<string, string>> = { 'application/x-msgpack': 'application/msgpack' };

function canonical(mediaType: string): string {
  const type = mediaType.trim().toLowerCase();
  return aliases[type] ?? type;
}

function preferred(available: readonly Codec[]): Codec | undefined {
  return available.find((codec) => codec.contentType === json.contentType) ?? available[0];
}

/**
 * The codec for a request's `Content-Type`. Parameters (`; charset=utf-8`) are ignored; a missing
 * header means JSON; an unknown type gives undefined (answer 415 UNSUPPORTED_MEDIA_TYPE).
 */
export function codecForContentType(
  header: string | undefined,
  available: readonly Codec[] = defaultCodecs,
): Codec | undefined {
  const type = canonical(header?.split(';', 1)[0] ?? '');
  if (type === '') return preferred(available);
  return available.find((codec) => canonical(codec.contentType) === type);
}

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
  index: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  accept.split(',').forEach((part, index) => {
    const [range = '', ...params] = part.split(';');
    const media = canonical(range);
    const [type, subtype] = media === '*' ? ['*', '*'] : media.split('/');
    if (!type || !subtype) return;
    let q = 1;
    for (const param of params) {
      const [name = '', value = ''] = param.split('=');
      if (name.trim().toLowerCase() === 'q') q = Number(value.trim());
    }
    // A range with an unreadable weight is dropped rather than guessed at.
    if (Number.isNaN(q) || q < 0 || q > 1) return;
    ranges.push({ type, subtype, q, index });
  });
  return ranges;
}

/** 3 for an exact match, 2 for `type/*`, 1 for the any-type range, 0 for none. */
function specificity(range: MediaRange, type: string, subtype: string): number {
  if (range.type === '*' && range.subtype === '*') return 1;
  if (range.type !== type) return 0;
  if (range.subtype === '*') return 2;
  return range.subtype === subtype ? 3 : 0;
}

/**
 * The codec to answer with, from an `Accept` header (RFC 9110 §12.5.1): each codec takes the weight
 * of the most specific range that matches it; the highest weight wins, then the more specific match,
 * then the range listed first, then the order of `available`. A missing header means JSON; undefined
 * means nothing acceptable (answer 406 NOT_ACCEPTABLE).
 */
export function negotiateAccept(
  accept: string | undefined,
  available: readonly Codec[] = defaultCodecs,
): Codec | undefined {
  const ranges = accept === undefined ? [] : parseAccept(accept);
  if (ranges.length === 0) return preferred(available);
  let best: { codec: Codec; rank: number[] } | undefined;
  available.forEach((codec, order) => {
    const [type = '', subtype = ''] = canonical(codec.contentType).split('/');
    let match: { range: MediaRange; specificity: number } | undefined;
    for (const range of ranges) {
      const s = specificity(range, type, subtype);
      if (s > (match?.specificity ?? 0)) match = { range, specificity: s };
    }
    if (!match || match.range.q === 0) return;
    const rank = [match.range.q, match.specificity, -match.range.index, -order];
    if (!best || outranks(rank, best.rank)) best = { codec, rank };
  });
  return best?.codec;
}

function outranks(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}
