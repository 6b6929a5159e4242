import { SwitchyardError } from '../../errors/index.js';
import { errorOfAbort } from '../../runtime/index.js';

/**
 * Errors raised while connecting, before a byte of the request can have been written. The server
 * cannot have seen the request, so the error says `notSent` and even a non-idempotent call may be
 * sent again. Everything after that (a reset, a close mid-response) is ambiguous.
 */
const connectFailures = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  // The transport was closed: the call was refused locally.
  'UND_ERR_CLOSED',
]);

const timeouts = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * What a failed request becomes. Branches on the `code` undici and the OS give their errors, never
 * on messages. An aborted signal decides first: the abort reason is ours (a resilience timeout aborts
 * with DEADLINE_EXCEEDED), a deadline (`AbortSignal.timeout`) is DEADLINE_EXCEEDED, anything else is
 * the caller cancelling.
 */
export function requestFailure(
  thrown: unknown,
  signal: AbortSignal | undefined,
  address: string,
): SwitchyardError {
  if (signal?.aborted) return abortReason(signal);
  return connectionFailure(thrown, address);
}

/** What a failed request becomes when nothing aborted it: see `requestFailure`. */
export function connectionFailure(thrown: unknown, address: string): SwitchyardError {
  if (thrown instanceof SwitchyardError) return thrown;
  const code = (thrown as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (connectFailures.has(code))
      return new SwitchyardError('UNAVAILABLE', `Cannot reach ${address} (${code})`, {
        details: { notSent: true, address },
        cause: thrown,
      });
    if (timeouts.has(code))
      return new SwitchyardError('DEADLINE_EXCEEDED', `No response from ${address} in time (${code})`, {
        cause: thrown,
      });
    if (code === 'UND_ERR_INVALID_ARG')
      return new SwitchyardError('INTERNAL', 'The request could not be built', { cause: thrown });
  }
  return new SwitchyardError(
    'UNAVAILABLE',
    `The connection to ${address} failed${typeof code === 'string' ? ` (${code})` : ''}`,
    {
      details: { address },
      cause: thrown,
    },
  );
}

export function abortReason(signal: AbortSignal): SwitchyardError {
  return errorOfAbort(signal.reason);
}
