import type { MsgHdrs } from 'nats';
import { childTrace, timeoutHeader } from '../../envelope/index.js';
import type { Context, ContextInit } from '../../runtime/index.js';

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
  contentType: 'content-type',
  id: 'ce-id',
  correlationId: 'ce-correlationid',
  causationId: 'ce-causationid',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  timeout: timeoutHeader,
  attempt: 'ce-attempt',
} as const;

export const metadataPrefix = 'sy-meta-';

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
  const init: ContextInit = {};
  let contentType: string | undefined;
  let traceparent: string | undefined;
  let tracestate: string | undefined;
  let metadata: Record<string, string> | undefined;
  for (const [key, values] of headers) {
    const value = values[0];
    if (value === undefined) continue;
    switch (key.toLowerCase()) {
      case headerNames.contentType:
        contentType = value;
        break;
      case headerNames.id:
        init.id = value;
        break;
      case headerNames.correlationId:
        init.correlationId = value;
        break;
      case headerNames.causationId:
        init.causationId = value;
        break;
      case headerNames.traceparent:
        traceparent = value;
        break;
      case headerNames.tracestate:
        tracestate = value;
        break;
      case headerNames.timeout: {
        const ms = Number(value);
        if (value !== '' && Number.isFinite(ms)) init.deadline = now + Math.max(0, ms);
        break;
      }
      case headerNames.attempt: {
        const attempt = Number(value);
        if (Number.isInteger(attempt) && attempt > 0) init.attempt = attempt;
        break;
      }
      default:
        if (
          key.length > metadataPrefix.length &&
          key.slice(0, metadataPrefix.length).toLowerCase() === metadataPrefix
        )
          (metadata ??= {})[key.slice(metadataPrefix.length)] = value;
    }
  }
  // The server's work is a new span in the caller's trace, as on the HTTP transport.
  if (traceparent !== undefined)
    init.trace = childTrace(tracestate === undefined ? { traceparent } : { traceparent, tracestate });
  if (metadata) init.metadata = metadata;
  return { init, contentType };
}
