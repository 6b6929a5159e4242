import type { Caller } from '../route.js';
import type { AuthModule, Authenticator, RateLimiter, RateLimitModule } from './seams.js';

export interface AuthStep {
  readonly authenticator: Authenticator;
  readonly module: AuthModule;
}

export interface RateLimitStep {
  readonly limiter: RateLimiter;
  readonly module: RateLimitModule;
}

/**
 * Who is calling: credentials sent are verified on every route (a bad token is refused even where
 * none is needed), and the route's requirement (any identity, scopes, roles) is enforced.
 */
export async function authenticate(ex: Caller, auth: AuthStep): Promise<void> {
  const identity = await auth.authenticator.authenticate(ex.req.headers);
  const required = ex.route.policies.auth;
  if (required) auth.module.authorize(identity, required);
  if (identity) {
    ex.identity = identity;
    ex.identityHeaders = auth.module.identityHeaders(identity);
  }
}

/** Whose requests share a limit: the API key or token subject when known, else the address. */
export function clientKey(ex: Caller, by: 'client' | 'ip' = 'client'): string {
  const identity = ex.identity;
  if (by === 'client' && identity)
    return identity.method === 'api-key'
      ? `key:${identity.clientId ?? identity.subject}`
      : `sub:${identity.subject}`;
  return `ip:${ex.req.socket.remoteAddress ?? 'unknown'}`;
}

/** Takes one request from the route's limit for this client; 429 with Retry-After when none is left. */
export async function limitRate(ex: Caller, step: RateLimitStep): Promise<void> {
  const rule = ex.route.policies.rateLimit;
  if (!rule) return;
  const decision = await step.limiter.take(`${ex.route.id}|${clientKey(ex, rule.by)}`, rule);
  const headers = step.module.rateLimitHeaders(decision);
  for (const name in headers) ex.extra.push(name, headers[name]!);
  if (!decision.allowed) throw step.module.rateLimitedError(decision);
}
