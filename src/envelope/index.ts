export { createEnvelope, type Envelope, type EnvelopeInit } from './envelope.js';
export {
  toHeaders,
  fromHeaders,
  timeoutHeader,
  metadataHeaderPrefix,
  identityHeaderPrefix,
  metadataFromHeaders,
  type Headers,
  type ToHeadersOptions,
} from './headers.js';
export { childTrace, parseTraceparent, traceIdOf, type TraceContext } from './trace.js';
export { newId, newSpanId, newTraceId } from './ids.js';
