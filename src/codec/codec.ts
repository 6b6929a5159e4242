import { SwitchyardError } from '../errors/index.js';

/**
 * Turns values into bytes and back for one content type. A codec does not validate against a
 * schema (validation runs once, as middleware); `decode` only promises that malformed bytes fail with
 * an INVALID_ARGUMENT SwitchyardError instead of an arbitrary exception, so transports can answer 400
 * or gRPC 3 without inspecting the error.
 */
export interface Codec {
  /** Media type without parameters, lower case, e.g. `application/json`. */
  readonly contentType: string;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

/** The error `decode` throws for bytes that are not a value of the format. */
export function malformed(format: string, cause: unknown): SwitchyardError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SwitchyardError('INVALID_ARGUMENT', `malformed ${format}: ${reason}`, { cause });
}

/**
 * The error `encode` throws for a value the format cannot carry. Values that passed their schema
 * always encode, so this is a bug on the producing side, not the peer's fault.
 */
export function unencodable(format: string, cause: unknown): SwitchyardError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SwitchyardError('INTERNAL', `cannot encode as ${format}: ${reason}`, { cause });
}
