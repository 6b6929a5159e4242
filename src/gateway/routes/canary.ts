import { SwitchyardError } from '../../errors/index.js';
import type { Next } from '../../runtime/index.js';
import type { CanarySpec } from '../config/schema.js';
import type { ChainChoice } from '../handlers/operation.js';
import { single } from '../http/headers.js';
import type { EvaluationContext, Flags } from '../policies/seams.js';
import type { Exchange } from '../route.js';
import { instanceFilter, negate } from '../upstream/instances.js';
import type { ForwardTarget, Upstreams } from '../upstream/upstreams.js';

/**
 * The chain of each request: the stable instances, or, when the route's canary flag is on for this
 * caller, the canary instances (by version or labels). The flag's rollout percentage and stickiness
 * decide who is in the canary; the gateway only asks. Without any canary instance running, canary
 * requests go to the stable ones rather than fail.
 */
export function canaryChoice(options: {
  upstreams: Upstreams;
  target: Extract<ForwardTarget, { service: string }>;
  canary: CanarySpec;
  flags: Flags;
}): ChainChoice {
  const { upstreams, target, canary, flags } = options;
  const filter = instanceFilter(canary);
  const stable = upstreams.forward({ ...target, filter: negate(filter) });
  const toCanary = upstreams.forward({ ...target, filter });
  const canaryOrStable: Next = (call) =>
    toCanary(call).catch((error: unknown) => {
      if (SwitchyardError.is(error, 'UNAVAILABLE') && error.details.notSent === true) return stable(call);
      throw error;
    });
  const wanted = canary.variant ?? true;
  return (ex) => {
    const result = flags.evaluate(canary.flag, flagContext(ex));
    const on = result.value === wanted || (typeof wanted === 'string' && result.variant === wanted);
    return on ? canaryOrStable : stable;
  };
}

/** Who is asking, for flag targeting: the token subject, else the session the client names. */
export function flagContext(ex: Exchange): EvaluationContext {
  const identity = ex.identity;
  const session = single(ex.req.headers['x-session-id']);
  const attributes: Record<string, string | readonly string[]> = {
    path: ex.path,
    method: ex.req.method ?? 'GET',
  };
  if (identity)
    Object.assign(attributes, {
      clientId: identity.clientId,
      roles: identity.roles,
      scopes: identity.scopes,
    });
  // The flags fall back to the session for stickiness when there is no subject, and to chance without either.
  if (session !== undefined) attributes.sessionId = session;
  return identity ? { targetingKey: identity.subject, attributes } : { attributes };
}

export function fixedChoice(chain: Next): ChainChoice {
  return () => chain;
}
