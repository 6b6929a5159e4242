import { SwitchyardError } from '../../errors/index.js';
import type { RateDecision } from './types.js';

/**
 * The `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy` fields of
 * draft-ietf-httpapi-ratelimit-headers-06 (the last draft with separate fields, the form most
 * clients and proxies read), plus `Retry-After` on a denial. Times are whole seconds, rounded up so a
 * client that waits them is admitted.
 */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(Math.ceil(decision.resetMs / 1000)),
    'ratelimit-policy': `${decision.limit};w=${Math.ceil(decision.windowMs / 1000)};burst=${decision.burst}`,
  };
  if (!decision.allowed)
    headers['retry-after'] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  return headers;
}

/** The error of a denied request: 429 in problem+json, with when to come back. */
export function rateLimitedError(decision: RateDecision): SwitchyardError {
  return new SwitchyardError(
    'RESOURCE_EXHAUSTED',
    `rate limit of ${decision.limit} requests per ${decision.windowMs} ms exceeded; retry in ${decision.retryAfterMs} ms`,
    { details: { limit: decision.limit, windowMs: decision.windowMs, retryAfterMs: decision.retryAfterMs } },
  );
}
