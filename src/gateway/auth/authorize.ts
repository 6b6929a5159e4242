import { SwitchyardError } from '../../errors/index.js';
import { unauthenticated } from './failure.js';
import type { Identity } from './types.js';

export interface Requirements {
  /** Every one of these scopes. */
  readonly scopes?: readonly string[];
  /** At least one of these roles. */
  readonly roles?: readonly string[];
}

/**
 * Checks a route's requirements: scopes are permissions the client was granted (all are needed),
 * roles are groups a user belongs to (any one will do). A route with no requirements still needs a
 * caller; routes open to anonymous callers skip `authorize`.
 */
export function authorize(identity: Identity | undefined, required: Requirements): void {
  if (!identity)
    throw unauthenticated(
      'missing-credentials',
      'this route needs credentials: a bearer token or an API key',
    );
  const missingScopes = (required.scopes ?? []).filter((s) => !identity.scopes.includes(s));
  const roles = required.roles ?? [];
  const hasRole = roles.length === 0 || roles.some((r) => identity.roles.includes(r));
  if (missingScopes.length === 0 && hasRole) return;
  const wants = [
    ...(missingScopes.length > 0 ? [`scopes ${missingScopes.join(', ')}`] : []),
    ...(hasRole ? [] : [`one of the roles ${roles.join(', ')}`]),
  ];
  throw new SwitchyardError('PERMISSION_DENIED', `${identity.subject} lacks ${wants.join(' and ')}`, {
    details: {
      subject: identity.subject,
      ...(missingScopes.length > 0 ? { missingScopes } : {}),
      ...(hasRole ? {} : { requiredRoles: roles }),
    },
  });
}
