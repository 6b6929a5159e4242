import type { Metadata } from '@grpc/grpc-js';
import type { Context, ContextInit } from '../../runtime/index.js';
import { contextFieldNames, InboundFields } from '../inbound-fields.js';
import type { Grpc } from './driver.js';

/**
 * gRPC metadata keys of the call context. The CloudEvents names (binary mode, `ce-` prefix) and the
 * W3C trace context headers, as the HTTP transport sends them, so a gateway or a proxy sees one set.
 * The deadline is not among them: it travels as gRPC's own `grpc-timeout`.
 */
export const metadataKeys = {
  ...contextFieldNames,
  /**
   * Prefix of `ctx.metadata` entries, as the HTTP transport writes them (`sy-meta-tenant: acme`).
   * Keys arrive lower-cased, as in HTTP. A value that is not printable ASCII (which gRPC text
   * metadata cannot carry) goes as UTF-8 bytes under `sy-meta-<key>-bin`.
   */
  metadataPrefix: contextFieldNames.metadataPrefix,
} as const;

const binarySuffix = '-bin';
const printableAscii = /^[ -~]*$/;

/**
 * What a client sends: the call's ids and trace when it belongs to a chain (it has a cause) or is a
 * retry (the server must see the first try's id), its attempt, and its free-form metadata when it has
 * any. A root call sends no ids: the server starts a new chain for it, which is what it would be anyway,
 * and neither side makes ids or a trace nobody reads (as over HTTP and NATS).
 */
export function toMetadata(grpc: Grpc, ctx: Context): Metadata {
  const md = new grpc.Metadata();
  if (ctx.causationId !== undefined || ctx.attempt > 1) {
    const id = ctx.id;
    set(md, metadataKeys.id, id);
    // The server derives the correlation id from the call id when none is sent.
    const correlationId = ctx.correlationId;
    if (correlationId !== id) set(md, metadataKeys.correlationId, correlationId);
    if (ctx.causationId !== undefined) set(md, metadataKeys.causationId, ctx.causationId);
    const trace = ctx.trace;
    set(md, metadataKeys.traceparent, trace.traceparent);
    if (trace.tracestate !== undefined) set(md, metadataKeys.tracestate, trace.tracestate);
  }
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
 * as a fresh object the caller completes. The caller's trace is the parent of the server's, whose span
 * is made when first asked for, as over HTTP.
 */
export function fromMetadata(md: Metadata): ContextInit {
  const fields = new InboundFields();
  const { metadataPrefix } = metadataKeys;
  // One pass over the first value of every key, rather than a lookup per known key.
  const all = md.getMap();
  for (const name in all) {
    const value = all[name]!;
    if (typeof value !== 'string') {
      if (name.startsWith(metadataPrefix))
        fields.metadata(name.slice(metadataPrefix.length, -binarySuffix.length), value.toString('utf8'));
    } else if (!fields.take(name, value) && name.startsWith(metadataPrefix))
      fields.metadata(name.slice(metadataPrefix.length), value);
  }
  return fields.finish();
}
