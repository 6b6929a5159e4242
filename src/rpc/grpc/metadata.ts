import type { Metadata } from '@grpc/grpc-js';
import { childTrace, parseTraceparent, type TraceContext } from '../../envelope/index.js';
import type { Context, ContextInit } from '../../runtime/index.js';
import type { Grpc } from './driver.js';

/**
 * gRPC metadata keys of the call context. The CloudEvents names (binary mode, `ce-` prefix) and the
 * W3C trace context headers, as the HTTP transport sends them, so a gateway or a proxy sees one set.
 * The deadline is not among them: it travels as gRPC's own `grpc-timeout`.
 */
export const metadataKeys = {
  id: 'ce-id',
  correlationId: 'ce-correlationid',
  causationId: 'ce-causationid',
  attempt: 'ce-attempt',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /**
   * Prefix of `ctx.metadata` entries, as the HTTP transport writes them (`sy-meta-tenant: acme`).
   * Keys arrive lower-cased, as in HTTP. A value that is not printable ASCII (which gRPC text
   * metadata cannot carry) goes as UTF-8 bytes under `sy-meta-<key>-bin`.
   */
  metadataPrefix: 'sy-meta-',
} as const;

const binarySuffix = '-bin';
const printableAscii = /^[ -~]*$/;

/** What a client sends: the call's ids, trace and attempt, and its free-form metadata when it has any. */
export function toMetadata(grpc: Grpc, ctx: Context): Metadata {
  const md = new grpc.Metadata();
  const id = ctx.id;
  set(md, metadataKeys.id, id);
  // The server derives the correlation id from the call id when none is sent (a root call).
  const correlationId = ctx.correlationId;
  if (correlationId !== id) set(md, metadataKeys.correlationId, correlationId);
  if (ctx.causationId !== undefined) set(md, metadataKeys.causationId, ctx.causationId);
  const trace = ctx.trace;
  set(md, metadataKeys.traceparent, trace.traceparent);
  if (trace.tracestate !== undefined) set(md, metadataKeys.tracestate, trace.tracestate);
  if (ctx.attempt > 1) set(md, metadataKeys.attempt, String(ctx.attempt));
  const metadata = ctx.metadata;
  for (const key in metadata) {
    const value = metadata[key]!;
    // A key that itself ends in -bin must go binary too: grpc-js takes only bytes under such keys.
    if (printableAscii.test(value) && !key.endsWith(binarySuffix))
      set(md, metadataKeys.metadataPrefix + key, value);
    else set(md, metadataKeys.metadataPrefix + key + binarySuffix, Buffer.from(value));
  }
  return md;
}

/**
 * Ids and keys that came from elsewhere (an HTTP header, a message) may hold characters gRPC metadata
 * cannot carry; such an entry is left out rather than failing the call.
 */
function set(md: Metadata, key: string, value: string | Buffer): void {
  try {
    md.set(key, value);
  } catch {
    // grpc-js rejects non-printable ASCII; the server then derives the value itself.
  }
}

/**
 * The context fields a server reads from a call's metadata (ids, trace, attempt, free-form metadata),
 * as a fresh object the caller completes. The trace is a new span in the caller's trace, as over HTTP.
 */
export function fromMetadata(md: Metadata): ContextInit {
  const init: ContextInit = {};
  const id = text(md, metadataKeys.id);
  if (id !== undefined) init.id = id;
  const correlationId = text(md, metadataKeys.correlationId);
  if (correlationId !== undefined) init.correlationId = correlationId;
  const causationId = text(md, metadataKeys.causationId);
  if (causationId !== undefined) init.causationId = causationId;
  const trace = traceOf(md);
  if (trace) init.trace = childTrace(trace);
  const attempt = Number(text(md, metadataKeys.attempt));
  if (Number.isInteger(attempt) && attempt > 0) init.attempt = attempt;
  const metadata = userMetadata(md);
  if (metadata) init.metadata = metadata;
  return init;
}

function text(md: Metadata, key: string): string | undefined {
  const value = md.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/** An invalid traceparent starts a new trace (W3C trace context says so), and its tracestate goes with it. */
function traceOf(md: Metadata): TraceContext | undefined {
  const traceparent = text(md, metadataKeys.traceparent);
  if (traceparent === undefined || !parseTraceparent(traceparent)) return undefined;
  const tracestate = text(md, metadataKeys.tracestate);
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
}

function userMetadata(md: Metadata): Record<string, string> | undefined {
  const { metadataPrefix } = metadataKeys;
  let out: Record<string, string> | undefined;
  const all = md.getMap();
  for (const name in all) {
    if (!name.startsWith(metadataPrefix)) continue;
    const value = all[name]!;
    const key = name.slice(metadataPrefix.length);
    if (typeof value === 'string') (out ??= {})[key] = value;
    else (out ??= {})[key.slice(0, -binarySuffix.length)] = value.toString('utf8');
  }
  return out;
}
