import { SwitchyardError } from '../../errors/index.js';
import type { AuthFailureReason } from './types.js';

/** The one error of a rejected credential; `reason` is stable, the message is for humans. */
export function unauthenticated(
  reason: AuthFailureReason,
  message: string,
  extra: Record<string, unknown> = {},
): SwitchyardError {
  return new SwitchyardError('UNAUTHENTICATED', message, { details: { reason, ...extra } });
}
