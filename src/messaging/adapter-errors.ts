import { SwitchyardError } from '../errors/index.js';

/**
 * Whether a consumer's set-up error is one no retry can fix: a declaration that conflicts with the
 * channel as it exists (another partition count, other queue arguments) or a name the engine refuses.
 * Adapters fail the consumer's iteration with it rather than retry in silence.
 */
export function unfixable(error: unknown): boolean {
  return SwitchyardError.is(error, 'FAILED_PRECONDITION') || SwitchyardError.is(error, 'INVALID_ARGUMENT');
}
