import type { IncomingHttpHeaders } from 'node:http';
import { childTrace, fromHeaders, timeoutHeader, type TraceContext } from '../../envelope/index.js';
import { Context, type ContextInit } from '../../runtime/index.js';

/**
 * The call context on the wire, as CloudEvents binary-mode headers (`ce-id`, `ce-correlationid`,
 * `ce-causationid`, `ce-timeout` = remaining ms, `ce-attempt`) plus the standard W3C `traceparent`
 * and `tracestate`, which tracing proxies and collectors understand. Context metadata travels as
 * `sy-meta-<key>` headers; HTTP lower-cases header names, so metadata keys should be lower case.
 */
export const metadataPrefix = 'sy-meta-';

/** The headers a client sends for a call's context, appended to `out` as name/value pairs. */
export function writeContextHeaders(ctx: Context, out: string[], now?: number): void {
  // A root call's ids and trace are made on first use; sending them would make them for every call.
  // A call made from a handler (it has a cause) or a retry attempt (same id as its first try) sends them.
  if (ctx.causationId !== undefined || ctx.attempt > 1) {
    out.push('ce-id', ctx.id, 'ce-correlationid', ctx.correlationId);
    if (ctx.causationId !== undefined) out.push('ce-causationid', ctx.causationId);
    const trace = ctx.trace;
    out.push('traceparent', trace.traceparent);
    if (trace.tracestate !== undefined) out.push('tracestate', trace.tracestate);
  }
  if (ctx.deadline !== undefined)
    out.push(timeoutHeader, String(Math.max(0, Math.floor(ctx.deadline - (now ?? Date.now())))));
  if (ctx.attempt !== 1) out.push('ce-attempt', String(ctx.attempt));
  const metadata = ctx.metadata;
  for (const key in metadata) out.push(metadataPrefix + key, metadata[key]!);
}

export interface ServerContextInit {
  clients: NonNullable<ContextInit['clients']>;
}

/**
 * The server-side context of a request: the client's ids, its deadline restored against this
 * process's clock, and a new span in the client's trace. `ce-traceparent` is read when the standard
 * header is absent, for senders that write the whole envelope in `ce-` form.
 */
export function contextFromHeaders(headers: IncomingHttpHeaders, init: ServerContextInit): Context {
  const envelope = fromHeaders(headers);
  const traceparent = single(headers.traceparent) ?? envelope.traceparent;
  let trace: TraceContext | undefined;
  if (traceparent !== undefined) {
    const tracestate = single(headers.tracestate) ?? envelope.tracestate;
    trace = childTrace(tracestate === undefined ? { traceparent } : { traceparent, tracestate });
  }
  let metadata: Record<string, string> | undefined;
  for (const name in headers) {
    if (!name.startsWith(metadataPrefix)) continue;
    const value = single(headers[name]);
    if (value !== undefined) (metadata ??= {})[name.slice(metadataPrefix.length)] = value;
  }
  return new Context({
    id: envelope.id,
    correlationId: envelope.correlationid,
    causationId: envelope.causationid,
    trace,
    deadline: envelope.deadline,
    attempt: envelope.attempt,
    metadata,
    cancelable: true,
    clients: init.clients,
  });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
