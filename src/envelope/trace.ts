import { newSpanId, newTraceId } from './ids.js';

/** W3C trace context: `00-<trace-id>-<parent-id>-<flags>`. */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate?: string;
}

// Offsets in `00-<32 hex>-<16 hex>-<2 hex>`, the only layout version 00 has.
const traceIdAt = 3;
const spanIdAt = 36;
const flagsAt = 53;
const length = 55;

/**
 * The traceparent as a valid version-00 value (surrounding whitespace removed), or undefined. Checked
 * by character codes rather than a regular expression: every request that carries one is parsed.
 */
function valid(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const v = value.length === length ? value : value.trim();
  if (
    v.length !== length ||
    v.charCodeAt(0) !== 48 /* 0 */ ||
    v.charCodeAt(1) !== 48 ||
    v.charCodeAt(2) !== 45 /* - */ ||
    v.charCodeAt(spanIdAt - 1) !== 45 ||
    v.charCodeAt(flagsAt - 1) !== 45
  )
    return undefined;
  // An all-zero trace id or span id is invalid, as W3C trace context says.
  return hexDigits(v, traceIdAt, spanIdAt - 1) === nonZero &&
    hexDigits(v, spanIdAt, flagsAt - 1) === nonZero &&
    hexDigits(v, flagsAt, length) !== invalid
    ? v
    : undefined;
}

const invalid = 0;
const zero = 1;
const nonZero = 2;

/** Whether `v[from, to)` is lower-case hex, and whether any digit is not 0. */
function hexDigits(v: string, from: number, to: number): number {
  let result = zero;
  for (let i = from; i < to; i++) {
    const c = v.charCodeAt(i);
    if (c === 48) continue;
    if ((c > 48 && c <= 57) || (c >= 97 && c <= 102)) result = nonZero;
    else return invalid;
  }
  return result;
}

export function parseTraceparent(
  value: string | undefined,
): { traceId: string; spanId: string; flags: string } | undefined {
  const v = valid(value);
  if (v === undefined) return undefined;
  return {
    traceId: v.slice(traceIdAt, spanIdAt - 1),
    spanId: v.slice(spanIdAt, flagsAt - 1),
    flags: v.slice(flagsAt),
  };
}

/** A new span in the same trace (or a new trace when there is no valid parent). */
export function childTrace(parent?: TraceContext): TraceContext {
  const p = valid(parent?.traceparent);
  const traceparent =
    p === undefined
      ? `00-${newTraceId()}-${newSpanId()}-01`
      : p.slice(0, spanIdAt) + newSpanId() + p.slice(flagsAt - 1);
  return parent?.tracestate ? { traceparent, tracestate: parent.tracestate } : { traceparent };
}

export function traceIdOf(traceparent: string | undefined): string | undefined {
  const v = valid(traceparent);
  return v === undefined ? undefined : v.slice(traceIdAt, spanIdAt - 1);
}
