import { parseTraceparent } from '../envelope/index.js';
import type { ContextInit } from '../runtime/index.js';

/** The names a call's context travels under on NATS and gRPC, as over HTTP (CloudEvents, W3C). */
export const contextFieldNames = {
  id: 'ce-id',
  correlationId: 'ce-correlationid',
  causationId: 'ce-causationid',
  attempt: 'ce-attempt',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  metadataPrefix: 'sy-meta-',
} as const;

/**
 * A server's context fields, read from a request's name/value pairs in one pass over whatever
 * carries them (NATS headers, gRPC metadata): the caller's ids, attempt, metadata, and its trace,
 * in which the server's span is made when first asked for. Names are given lower case.
 */
export class InboundFields {
  readonly init: ContextInit = {};
  #traceparent: string | undefined;
  #tracestate: string | undefined;
  #metadata: Record<string, string> | undefined;

  /** Takes a context field; false when `name` is none (the transport may read it itself). */
  take(name: string, value: string): boolean {
    switch (name) {
      case contextFieldNames.id:
        this.init.id = value;
        return true;
      case contextFieldNames.correlationId:
        this.init.correlationId = value;
        return true;
      case contextFieldNames.causationId:
        this.init.causationId = value;
        return true;
      case contextFieldNames.traceparent:
        this.#traceparent = value;
        return true;
      case contextFieldNames.tracestate:
        this.#tracestate = value;
        return true;
      case contextFieldNames.attempt: {
        const attempt = Number(value);
        if (Number.isInteger(attempt) && attempt > 0) this.init.attempt = attempt;
        return true;
      }
      default:
        return false;
    }
  }

  /** One entry of the caller's `ctx.metadata`, its key as it arrived. */
  metadata(key: string, value: string): void {
    (this.#metadata ??= {})[key] = value;
  }

  /**
   * The fields read. An invalid traceparent starts a new trace and its tracestate goes with it, as
   * W3C trace context says.
   */
  finish(): ContextInit {
    const traceparent = this.#traceparent;
    if (traceparent !== undefined && parseTraceparent(traceparent)) {
      const tracestate = this.#tracestate;
      this.init.parentTrace = tracestate === undefined ? { traceparent } : { traceparent, tracestate };
    }
    if (this.#metadata) this.init.metadata = this.#metadata;
    return this.init;
  }
}
