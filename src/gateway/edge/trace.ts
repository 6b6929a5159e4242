import type { IncomingHttpHeaders } from 'node:http';
import { childTrace, parseTraceparent, type TraceContext } from '../../envelope/index.js';
import { single } from '../http/headers.js';

/**
 * The gateway's span: a child of the caller's W3C trace context when it sent a valid one, the root
 * of a new trace otherwise. An invalid `traceparent` discards `tracestate` too (W3C Trace Context §3.3).
 */
export function edgeTrace(headers: IncomingHttpHeaders): TraceContext {
  const traceparent = single(headers.traceparent);
  if (traceparent === undefined || !parseTraceparent(traceparent)) return childTrace();
  const tracestate = single(headers.tracestate);
  return childTrace(tracestate === undefined ? { traceparent } : { traceparent, tracestate });
}
