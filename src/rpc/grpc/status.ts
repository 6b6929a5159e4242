import type { Metadata, ServiceError } from '@grpc/grpc-js';
import {
  codeFromGrpc,
  codes,
  fromWire,
  isWireError,
  SwitchyardError,
  type WireError,
} from '../../errors/index.js';
import type { Grpc } from './driver.js';

/**
 * Trailing metadata with the whole error as JSON (`WireError`): the gRPC status carries only a number
 * and a message, and several of our codes share a status (CIRCUIT_OPEN and UNAVAILABLE are both 14).
 * Our clients read code, details and retryability back exactly; other clients still get the status.
 */
export const errorTrailer = 'switchyard-error-bin';

/**
 * Metadata shares gRPC's header size limit (8 KiB by default on the receiving side); an error whose
 * JSON is larger keeps its first violations, then drops its details, rather than fail the call.
 */
const trailerLimit = 4096;

/** What grpc-js takes as a handler's error: status code, message, trailing metadata. */
export interface GrpcStatus {
  code: number;
  details: string;
  metadata: Metadata;
}

/** The status a server sends for an error: codes[code].grpc, the message, and the full error as a trailer. */
export function toStatus(grpc: Grpc, error: unknown): GrpcStatus {
  const e = SwitchyardError.from(error);
  const metadata = new grpc.Metadata();
  metadata.set(errorTrailer, Buffer.from(trailerJson(e.toJSON())));
  return { code: e.grpcStatus, details: e.message, metadata };
}

function trailerJson(wire: WireError): string {
  const json = JSON.stringify(wire);
  if (json.length <= trailerLimit) return json;
  const violations = wire.details?.violations;
  if (violations && violations.length > 10) {
    const shorter = JSON.stringify({
      ...wire,
      details: { ...wire.details, violations: violations.slice(0, 10), truncated: true },
    });
    if (shorter.length <= trailerLimit) return shorter;
  }
  return JSON.stringify({ ...wire, details: { truncated: true } });
}

export interface StatusContext {
  /** The call never left this process (see transport.ts): UNAVAILABLE is then safe to retry anywhere. */
  notSent?: boolean;
}

/**
 * The SwitchyardError for a failed call: the trailer when a Switchyard server sent one (and it agrees
 * with the status, so a proxy that rewrote the status is believed), else the code of the gRPC status.
 *
 * A CANCELLED status is the server resetting the stream (a forced shutdown, a proxy): the client's own
 * cancels never get here (the abort's reason decides their error, see attempt.ts). UNAVAILABLE, since
 * CANCELLED would read as "our caller gave up" and never be retried or counted against the instance.
 * The request may have run, so it is not marked notSent.
 */
export function fromStatus(error: ServiceError, context: StatusContext = {}): SwitchyardError {
  const wire = readTrailer(error.metadata);
  if (wire && codes[wire.code].grpc === error.code) return fromWire(wire);
  let code = codeFromGrpc(error.code);
  if (code === 'CANCELLED') code = 'UNAVAILABLE';
  const notSent = context.notSent === true && code === 'UNAVAILABLE';
  return new SwitchyardError(code, error.details || codes[code].title, {
    cause: error,
    ...(notSent ? { details: { notSent: true } } : {}),
  });
}

function readTrailer(metadata: Metadata | undefined): WireError | undefined {
  const bytes = metadata?.get(errorTrailer)[0];
  if (!Buffer.isBuffer(bytes)) return undefined;
  try {
    const wire: unknown = JSON.parse(bytes.toString());
    return isWireError(wire) ? wire : undefined;
  } catch {
    return undefined;
  }
}
