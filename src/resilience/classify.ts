import { SwitchyardError, type Code } from '../errors/index.js';

/**
 * Whom an error says something about, the one table breaker and fallback defaults read:
 * - `callee`: the service is unhealthy or overloaded (it failed, timed out or could not be reached);
 * - `caller`: the service answered, and the answer is about this request (bad input, no such thing,
 *   not allowed, a conflict): the service is healthy;
 * - `local`: the call never reached the service (a client-side policy refused it) or the caller gave
 *   up, so it says nothing either way.
 * Typed by `Code`, so adding a code without deciding its row fails the typecheck.
 */
export type Blame = 'callee' | 'caller' | 'local';

export const blame = {
  CANCELLED: 'local',
  UNKNOWN: 'callee',
  INVALID_ARGUMENT: 'caller',
  DEADLINE_EXCEEDED: 'callee',
  NOT_FOUND: 'caller',
  ALREADY_EXISTS: 'caller',
  PERMISSION_DENIED: 'caller',
  RESOURCE_EXHAUSTED: 'callee',
  FAILED_PRECONDITION: 'caller',
  ABORTED: 'caller',
  OUT_OF_RANGE: 'caller',
  // A deployment mismatch, not ill health: opening the breaker would not make the operation appear.
  UNIMPLEMENTED: 'caller',
  INTERNAL: 'callee',
  UNAVAILABLE: 'callee',
  DATA_LOSS: 'callee',
  UNAUTHENTICATED: 'caller',
  CIRCUIT_OPEN: 'local',
  BULKHEAD_FULL: 'local',
  PAYLOAD_TOO_LARGE: 'caller',
  UNSUPPORTED_MEDIA_TYPE: 'caller',
  NOT_ACCEPTABLE: 'caller',
  GONE: 'caller',
} as const satisfies Record<Code, Blame>;

/**
 * Breaker default: callee errors count as failures. Anything not a SwitchyardError (a transport that
 * threw a raw error) counts too: the conservative choice for a breaker, as in resilience4j.
 */
export function isCalleeFailure(error: unknown): boolean {
  return !(error instanceof SwitchyardError) || blame[error.code] === 'callee';
}

/** Breaker default: outcomes that are recorded as neither success nor failure. */
export function isNotRecorded(error: unknown): boolean {
  return error instanceof SwitchyardError && blame[error.code] === 'local';
}

/**
 * Fallback default: stand in when the service could not answer (callee errors and local policy
 * refusals), never for an answer about the request itself, nor when the caller cancelled (nobody wants
 * the stand-in), nor for errors that are not ours (bugs should surface).
 */
export function isUnanswered(error: unknown): boolean {
  if (!(error instanceof SwitchyardError)) return false;
  return blame[error.code] === 'callee' || error.code === 'CIRCUIT_OPEN' || error.code === 'BULKHEAD_FULL';
}
