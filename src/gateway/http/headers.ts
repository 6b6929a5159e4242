import type { IncomingHttpHeaders } from 'node:http';
import { metadataPrefix } from '../../rpc/http/headers.js';
import { identityHeaderPrefix } from '../auth/identity-headers.js';

/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1), and those the gateway
 * writes itself: never copied from one side to the other.
 */
const notForwarded = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
  'content-length',
  // The gateway answered any 100-continue itself; the body it forwards is complete.
  'expect',
  'x-request-id',
  'traceparent',
  'tracestate',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
]);

/**
 * Identity and context metadata only the gateway may set: a client sending them is forging them.
 * `x-identity-*` are the identity headers services read; `sy-meta-*` is call-context metadata, which
 * Switchyard services read as `ctx.metadata` (identity included).
 */
export function isForged(name: string): boolean {
  return name.startsWith(identityHeaderPrefix) || name.startsWith(metadataPrefix);
}

/** Header names a `Connection` header lists: hop-by-hop for this message only. */
function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (value === undefined || value === 'keep-alive' || value === 'close') return undefined;
  return new Set(value.split(',').map((token) => token.trim().toLowerCase()));
}

/** The request headers passed upstream: end-to-end headers only, forged identity left out. */
export function requestHeadersOut(headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  const listed = connectionTokens(headers.connection);
  for (const name in headers) {
    if (notForwarded.has(name) || isForged(name) || listed?.has(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const item of value) out.push(name, item);
  }
  return out;
}

/** The response headers passed back to the client. */
export function responseHeadersOut(headers: IncomingHttpHeaders, out: string[]): string[] {
  const listed = connectionTokens(headers.connection as string | undefined);
  for (const name in headers) {
    if (notForwarded.has(name) || listed?.has(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const item of value) out.push(name, item);
  }
  return out;
}

export function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
