import type { IncomingHttpHeaders } from 'node:http';
import {
  identityHeaderPrefix,
  metadataHeaderPrefix,
  timeoutHeader,
  type TraceContext,
} from '../../envelope/index.js';
import { Context, type ContextInit } from '../../runtime/index.js';

/**
 * The call context on the wire, as CloudEvents binary-mode headers (`ce-id`, `ce-correlationid`,
 * `ce-causationid`, `ce-timeout` = remaining ms, `ce-attempt`) plus the standard W3C `traceparent`
 * and `tracestate`, which tracing proxies and collectors understand. Context metadata travels as
 * `sy-meta-<key>` headers; HTTP lower-cases header names, so metadata keys should be lower case.
 * A server also reads a gateway's `x-request-id` as the correlation id and its `x-identity-*`
 * headers as metadata, so the gateway need not send them twice.
 */
export const metadataPrefix = metadataHeaderPrefix;

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
 * process's clock, and the client's trace, in which the handler's span is made when first asked for.
 * `ce-traceparent` is read when the standard header is absent, for senders that write the whole
 * envelope in `ce-` form. Each header is read by name: a request pays only for the ones it carries.
 */
export function contextFromHeaders(headers: IncomingHttpHeaders, init: ServerContextInit): Context {
  const timeout = single(headers[timeoutHeader]);
  const attempt = single(headers['ce-attempt']);
  const traceparent = single(headers.traceparent) ?? single(headers['ce-traceparent']);
  let parentTrace: TraceContext | undefined;
  if (traceparent !== undefined) {
    const tracestate = single(headers.tracestate) ?? single(headers['ce-tracestate']);
    parentTrace = tracestate === undefined ? { traceparent } : { traceparent, tracestate };
  }
  return new Context({
    id: single(headers['ce-id']),
    // A request id stands for the correlation id: a gateway in front sends only that.
    correlationId: single(headers['ce-correlationid']) ?? single(headers['x-request-id']),
    causationId: single(headers['ce-causationid']),
    parentTrace,
    deadline: timeout === undefined ? undefined : deadlineOf(timeout),
    attempt: attempt === undefined ? undefined : attemptOf(attempt),
    metadata: metadataOf(headers),
    cancelable: true,
    clients: init.clients,
  });
}

/** `ce-timeout` is the time the caller had left, in ms; back to a deadline on this clock. */
function deadlineOf(timeout: string): number | undefined {
  const ms = Number(timeout);
  return Number.isFinite(ms) ? Date.now() + Math.max(0, ms) : undefined;
}

function attemptOf(value: string): number | undefined {
  const attempt = Number(value);
  return Number.isInteger(attempt) && attempt > 0 ? attempt : undefined;
}

function metadataOf(headers: IncomingHttpHeaders): Record<string, string> | undefined {
  let metadata: Record<string, string> | undefined;
  for (const name in headers) {
    const key = name.startsWith(metadataPrefix)
      ? name.slice(metadataPrefix.length)
      : name.startsWith(identityHeaderPrefix)
        ? name
        : undefined;
    if (key === undefined) continue;
    const value = single(headers[name]);
    if (value !== undefined) (metadata ??= {})[key] = value;
  }
  return metadata;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
