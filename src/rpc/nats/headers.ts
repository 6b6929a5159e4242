import type { MsgHdrs } from 'nats';
import { timeoutHeader } from '../../envelope/index.js';
import type { Context, ContextInit } from '../../runtime/index.js';
import { contextFieldNames, InboundFields } from '../inbound-fields.js';
import type { NatsModule } from './connection.js';

/**
 * A call's context as NATS headers, and back. Names follow the CloudEvents binary mode (`ce-*`) and
 * W3C trace context (`traceparent`, `tracestate`), and metadata travels as `sy-meta-<key>`: the
 * names of the HTTP transport.
 *
 * Headers cost bytes and parsing on both sides, so a request carries only what the server could not
 * infer: the deadline when there is one, the content type when it is not JSON, and the ids and trace
 * only when the call belongs to a chain (it has a cause). A root call without them is one the server
 * starts a new chain for, which is what it would have been anyway.
 */
export const headerNames = {
  ...contextFieldNames,
  contentType: 'content-type',
  timeout: timeoutHeader,
} as const;

export const metadataPrefix = contextFieldNames.metadataPrefix;

/** Headers for a request, or undefined when it needs none (the common case of a root call). */
export function requestHeaders(
  make: () => MsgHdrs,
  ctx: Context,
  remainingMs: number,
  contentType: string | undefined,
): MsgHdrs | undefined {
  let h: MsgHdrs | undefined;
  // Relative on the wire: the two clocks need not agree. Floored, so the server never thinks it has
  // more time than the caller will wait.
  if (remainingMs !== Infinity)
    (h = make()).set(headerNames.timeout, String(Math.max(0, Math.floor(remainingMs))));
  if (contentType !== undefined) (h ??= make()).set(headerNames.contentType, contentType);
  // Retry attempts too: the server sees every attempt of a call under its first id.
  if (ctx.causationId !== undefined || ctx.attempt > 1) {
    h ??= make();
    h.set(headerNames.id, ctx.id);
    h.set(headerNames.correlationId, ctx.correlationId);
    if (ctx.causationId !== undefined) h.set(headerNames.causationId, ctx.causationId);
    const trace = ctx.trace;
    h.set(headerNames.traceparent, trace.traceparent);
    if (trace.tracestate) h.set(headerNames.tracestate, trace.tracestate);
  }
  if (ctx.attempt > 1) (h ??= make()).set(headerNames.attempt, String(ctx.attempt));
  for (const key in ctx.metadata) (h ??= make()).set(metadataPrefix + key, ctx.metadata[key]!);
  return h;
}

/**
 * A factory of request headers for `requestHeaders`: nats.js's own `MsgHdrs`, with a cheaper `set`
 * and `encode`. nats.js canonicalises and validates every name and value on each `set` and rebuilds
 * the block on `encode`; that costs more per request than the rest of the client's work. Here a
 * name is checked once by a character scan, a value for line breaks, and the header block is built
 * as the headers are set. What nats.js reads (`encode`) and what callers read (`get`, `has`,
 * iteration) stay those of `MsgHdrsImpl`.
 */
export function requestHeaderFactory(nats: NatsModule): () => MsgHdrs {
  class RequestHeaders extends nats.MsgHdrsImpl {
    #block: string | undefined = 'NATS/1.0';

    override set(name: string, value: string): void {
      if (this.#block === undefined || this.headers.has(name) || !validName(name) || lineBreak.test(value)) {
        // Anything unusual (a repeated name, one nats.js rejects) takes nats.js's path and its errors.
        this.#block = undefined;
        super.set(name, value);
        return;
      }
      const trimmed = value.trim();
      this.headers.set(name, [trimmed]);
      this.#block += `\r\n${name}: ${trimmed}`;
    }

    override encode(): Uint8Array {
      return this.#block === undefined ? super.encode() : Buffer.from(`${this.#block}\r\n\r\n`);
    }
  }
  return () => new RequestHeaders();
}

const lineBreak = /[\r\n]/;

/** What nats.js accepts as a header name unchanged: printable ASCII without `:` or space. */
function validName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 58 /* : */) return false;
  }
  return true;
}

export interface InboundHeaders {
  /** What the server's context is built from (ids, trace, deadline, attempt, metadata). */
  readonly init: ContextInit;
  readonly contentType: string | undefined;
}

/**
 * Reads a request's headers in one pass. Names are matched case-insensitively, since clients in other
 * languages may canonicalise them (`Ce-Id`); metadata keys keep their case.
 */
export function readRequestHeaders(headers: MsgHdrs, now: number): InboundHeaders {
  const fields = new InboundFields();
  let contentType: string | undefined;
  for (const [key, values] of headers) {
    const value = values[0];
    if (value === undefined) continue;
    const name = key.toLowerCase();
    if (fields.take(name, value)) continue;
    if (name === headerNames.contentType) contentType = value;
    else if (name === headerNames.timeout) {
      const ms = Number(value);
      if (value !== '' && Number.isFinite(ms)) fields.init.deadline = now + Math.max(0, ms);
    } else if (name.length > metadataPrefix.length && name.startsWith(metadataPrefix))
      fields.metadata(key.slice(metadataPrefix.length), value);
  }
  return { init: fields.finish(), contentType };
}
