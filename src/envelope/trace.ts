import { newSpanId, newTraceId } from './ids.js';

/** W3C trace context: `00-<trace-id>-<parent-id>-<flags>`. */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate?: string;
}

const rule = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(
  value: string | undefined,
): { traceId: string; spanId: string; flags: string } | undefined {
  if (!value) return undefined;
  const m = rule.exec(value.trim());
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, flags: m[3]! };
}

/** A new span in the same trace (or a new trace when there is no valid parent). */
export function childTrace(parent?: TraceContext): TraceContext {
  const p = parseTraceparent(parent?.traceparent);
  const traceparent = `00-${p?.traceId ?? newTraceId()}-${newSpanId()}-${p?.flags ?? '01'}`;
  return parent?.tracestate ? { traceparent, tracestate: parent.tracestate } : { traceparent };
}

export function traceIdOf(traceparent: string | undefined): string | undefined {
  return parseTraceparent(traceparent)?.traceId;
}
