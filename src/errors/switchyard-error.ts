import { codes, isCode, type Code } from './codes.js';

/** One failing rule, e.g. `{ path: '/items/0/qty', rule: 'minimum', message: 'Expected number to be greater or equal to 1' }`. */
export interface Violation {
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

export interface ErrorDetails {
  readonly violations?: readonly Violation[];
  readonly [key: string]: unknown;
}

export interface SwitchyardErrorOptions {
  details?: ErrorDetails;
  cause?: unknown;
  /** Overrides the code's default retryability (e.g. an operation declares a FAILED_PRECONDITION retryable). */
  retryable?: boolean;
}

/** The one error type that crosses process boundaries: code, message and details survive every transport. */
export class SwitchyardError extends Error {
  override readonly name = 'SwitchyardError';
  readonly code: Code;
  readonly details: ErrorDetails;
  readonly retryable: boolean;

  constructor(code: Code, message: string, options: SwitchyardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? codes[code].retryable;
  }

  get httpStatus(): number {
    return codes[this.code].http;
  }

  get grpcStatus(): number {
    return codes[this.code].grpc;
  }

  toJSON(): WireError {
    return { code: this.code, message: this.message, details: this.details, retryable: this.retryable };
  }

  static is(value: unknown, code?: Code): value is SwitchyardError {
    return value instanceof SwitchyardError && (code === undefined || value.code === code);
  }

  /** Any thrown value as a SwitchyardError; unknown errors become INTERNAL without leaking their message. */
  static from(value: unknown): SwitchyardError {
    if (value instanceof SwitchyardError) return value;
    if (isWireError(value)) return fromWire(value);
    return new SwitchyardError('INTERNAL', 'Internal error', { cause: value });
  }
}

/** The JSON form of an error on the wire (inside replies, problem documents and gRPC trailers). */
export interface WireError {
  code: Code;
  message: string;
  details?: ErrorDetails;
  retryable?: boolean;
}

export function isWireError(value: unknown): value is WireError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return isCode(v.code) && typeof v.message === 'string';
}

export function fromWire(wire: WireError): SwitchyardError {
  return new SwitchyardError(wire.code, wire.message, {
    details: wire.details ?? {},
    ...(wire.retryable === undefined ? {} : { retryable: wire.retryable }),
  });
}
