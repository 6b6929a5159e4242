import { newId, type TraceContext } from '../../envelope/index.js';

/** What a client may name its request: short and printable, so it is safe in logs and headers. */
const acceptable = /^[\w.:@-]{1,128}$/;

/**
 * The client's `X-Request-Id` when it is a sane one. Otherwise the id of the trace the gateway started
 * for the request (unique to it, and what finds it in the tracing backend), or a new time-ordered id
 * when the request continues a trace of the client's, which other requests share.
 */
export function requestIdOf(header: string | string[] | undefined, startedTrace?: TraceContext): string {
  if (typeof header === 'string' && acceptable.test(header)) return header;
  // `00-<trace id>-<span id>-<flags>`
  return startedTrace ? startedTrace.traceparent.slice(3, 35) : newId();
}
