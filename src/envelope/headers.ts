import type { Envelope } from './envelope.js';

/**
 * Envelope attributes as transport headers (CloudEvents binary mode, `ce-` prefix). The deadline
 * crosses processes as the time remaining, because the two clocks need not agree.
 */
export type Headers = Record<string, string>;

const stringAttributes = [
  'id',
  'source',
  'type',
  'time',
  'subject',
  'correlationid',
  'causationid',
  'replyto',
  'partitionkey',
  'traceparent',
  'tracestate',
] as const;

/** Each attribute with its header name, built once: a name concatenated per message is hashed per lookup. */
const stringHeaders = stringAttributes.map((key) => [key, `ce-${key}`] as const);

export const timeoutHeader = 'ce-timeout';

/**
 * Call-context metadata (the caller's identity set by a gateway, a tenant) travels as `sy-meta-<key>`
 * headers, on calls and on messages alike.
 */
export const metadataHeaderPrefix = 'sy-meta-';

/**
 * The caller's identity as a gateway establishes it (`x-identity-subject`, …). Over HTTP, a
 * Switchyard service takes these headers into its call context's metadata under their own names, as
 * if they had come as `sy-meta-x-identity-*`, so a gateway sends them once.
 */
export const identityHeaderPrefix = 'x-identity-';

/** The metadata carried by message or call headers. */
export function metadataFromHeaders(
  headers: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
  let metadata: Record<string, string> | undefined;
  for (const name in headers)
    if (name.startsWith(metadataHeaderPrefix))
      (metadata ??= {})[name.slice(metadataHeaderPrefix.length)] = headers[name]!;
  return metadata;
}

export interface ToHeadersOptions {
  /** The clock the deadline is counted from; read only when there is a deadline. */
  readonly now?: number;
  /** Written instead of the envelope's `datacontenttype` (the codec the body was encoded with). */
  readonly contentType?: string;
}

export function toHeaders(envelope: Omit<Envelope, 'data'>, options: ToHeadersOptions = {}): Headers {
  const { now, contentType = envelope.datacontenttype } = options;
  const headers: Headers = { 'ce-specversion': '1.0' };
  for (const [key, name] of stringHeaders) {
    const value = envelope[key];
    if (value !== undefined) headers[name] = value;
  }
  if (envelope.deadline !== undefined)
    headers[timeoutHeader] = String(Math.max(0, envelope.deadline - (now ?? Date.now())));
  if (envelope.attempt !== undefined) headers['ce-attempt'] = String(envelope.attempt);
  headers['content-type'] = contentType;
  return headers;
}

/** Reads what `toHeaders` wrote; missing required attributes are left to the caller to fill. */
export function fromHeaders(
  headers: Record<string, string | string[] | undefined>,
  now = Date.now(),
): Partial<Omit<Envelope, 'data'>> {
  const get = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const out: Partial<Omit<Envelope, 'data'>> = {};
  for (const [key, name] of stringHeaders) {
    const value = get(name);
    if (value !== undefined) (out as Record<string, string>)[key] = value;
  }
  const timeoutValue = get(timeoutHeader);
  const timeout = Number(timeoutValue);
  if (timeoutValue !== undefined && Number.isFinite(timeout)) out.deadline = now + Math.max(0, timeout);
  const attempt = Number(get('ce-attempt'));
  if (Number.isInteger(attempt) && attempt > 0) out.attempt = attempt;
  const type = get('content-type');
  if (type !== undefined) out.datacontenttype = type;
  return out;
}
