import type { Msg } from 'nats';
import { json } from '../../codec/index.js';
import { codeFromHttp, isWireError, fromWire, SwitchyardError, type Code } from '../../errors/index.js';

/** The NATS services ("micro") error convention: a description and a numeric code, as headers. */
export const serviceErrorHeader = 'Nats-Service-Error';
export const serviceErrorCodeHeader = 'Nats-Service-Error-Code';

export interface ErrorReply {
  /** Our code's HTTP status: what NATS tooling shows as the error code. */
  readonly status: number;
  /** One line, for `Nats-Service-Error` (header values cannot hold line breaks). */
  readonly description: string;
  /** Our wire form `{ code, message, details, retryable }` as JSON, whatever codec the request used. */
  readonly body: Uint8Array;
}

const maxDescription = 1024;

export function errorReply(error: SwitchyardError): ErrorReply {
  let description = error.message.replace(/[\r\n]+/g, ' ');
  if (description.length > maxDescription) description = `${description.slice(0, maxDescription - 1)}…`;
  return { status: error.httpStatus, description: description || error.code, body: json.encode(error) };
}

/**
 * The error a reply carries, or undefined for a successful reply. Our servers send the full wire
 * error in the body; any other micro service only the two headers, read as the nearest code.
 */
export function errorOfReply(msg: Msg): SwitchyardError | undefined {
  const headers = msg.headers;
  if (!headers?.has(serviceErrorCodeHeader)) return undefined;
  if (msg.data.length > 0) {
    try {
      const wire = json.decode(msg.data);
      if (isWireError(wire)) return fromWire(wire);
    } catch {
      // Not ours: fall back to the headers, which every micro service sends.
    }
  }
  const status = Number(headers.get(serviceErrorCodeHeader));
  const description = headers.get(serviceErrorHeader) || `NATS service error ${status}`;
  return new SwitchyardError(Number.isInteger(status) ? codeFromHttp(status) : 'UNKNOWN', description, {
    details: { natsServiceErrorCode: headers.get(serviceErrorCodeHeader) },
  });
}

/**
 * Why nats.js refused to publish a request, as our code, read from `NatsError.code` (never the
 * message). The request never left this process, so `notSent` lets even non-idempotent calls retry.
 */
export function fromPublishError(error: unknown, subject: string): SwitchyardError {
  if (SwitchyardError.is(error)) return error;
  const fail = (code: Code, message: string) =>
    new SwitchyardError(code, message, { cause: error, details: { subject, notSent: true } });
  switch ((error as { code?: unknown } | null)?.code) {
    case 'CONNECTION_CLOSED':
    case 'CONNECTION_DRAINING':
      return fail('UNAVAILABLE', `The NATS connection is closed; ${subject} was not called`);
    case 'MAX_PAYLOAD_EXCEEDED':
      return fail('PAYLOAD_TOO_LARGE', "The request exceeds the NATS server's max_payload");
    case 'BAD_HEADER':
      return fail('INVALID_ARGUMENT', 'Call metadata cannot be sent as NATS headers');
    default:
      return fail('UNKNOWN', `Cannot send the request to ${subject}`);
  }
}
