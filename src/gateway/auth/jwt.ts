import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWSHeaderParameters,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { SwitchyardError } from '../../errors/index.js';
import { unauthenticated } from './failure.js';
import { asymmetricAlgorithms, checkKeys, configuredKeys, invalidConfig } from './keys.js';
import { tokenCache } from './token-cache.js';
import type { Identity, JwtConfig } from './types.js';

export interface JwtVerifier {
  verify(token: string): Promise<Identity>;
  ready(): Promise<void>;
}

/** Verifies bearer tokens with jose against configured keys and/or a JWKS URL. */
export function jwtVerifier(config: JwtConfig): JwtVerifier {
  if (!config.jwksUrl && !config.keys?.length) throw invalidConfig('jwt needs a jwksUrl or keys');
  if (!config.issuer?.length || !config.audience?.length)
    throw invalidConfig('jwt needs an issuer and an audience');
  checkKeys(config.keys ?? []);
  const configured = configuredKeys(config.keys ?? []);
  const allowed = new Set(
    config.algorithms ?? [
      ...new Set([...(config.keys ?? []).map((k) => k.alg), ...(config.jwksUrl ? asymmetricAlgorithms : [])]),
    ],
  );
  allowed.delete('none');
  const remote = config.jwksUrl ? remoteKeys(config) : undefined;
  const requiredClaims = config.requireExpiry === false ? ['sub'] : ['sub', 'exp'];
  const skew = config.clockSkewSeconds ?? 30;
  const verified = tokenCache(config.tokenCacheSize ?? 10_000);

  const resolveKey = async (header: JWSHeaderParameters) => {
    if (!remote || (await configured.has(header.kid))) return configured.resolve(header);
    return remote(header);
  };

  return {
    ready: configured.ready,
    async verify(token) {
      const cached = verified.get(token);
      if (cached) return cached;
      const header = readHeader(token);
      if (!allowed.has(header.alg!))
        throw unauthenticated('algorithm-not-allowed', `tokens signed with ${header.alg} are not accepted`);
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, resolveKey, {
          algorithms: [...allowed],
          issuer: config.issuer as string | string[],
          audience: config.audience as string | string[],
          clockTolerance: skew,
          requiredClaims,
        }));
      } catch (error) {
        throw classify(error);
      }
      const identity = identityOf(payload, config);
      verified.set(token, identity, payload.exp, skew);
      return identity;
    },
  };
}

function readHeader(token: string): ProtectedHeaderParameters {
  let header: ProtectedHeaderParameters;
  try {
    if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)) throw new Error('not a compact JWS');
    header = decodeProtectedHeader(token);
  } catch {
    throw unauthenticated('malformed', 'the bearer token is not a JWT');
  }
  if (typeof header.alg !== 'string')
    throw unauthenticated('malformed', 'the token header names no algorithm');
  if (header.alg.toLowerCase() === 'none')
    throw unauthenticated('alg-none', 'unsigned tokens (alg: none) are not accepted');
  return header;
}

/**
 * The JWKS through jose, which caches it and refetches on an unknown `kid` at most once per cooldown,
 * so a flood of made-up kids cannot turn the gateway against the issuer.
 */
function remoteKeys(config: JwtConfig) {
  let url: URL;
  try {
    url = new URL(config.jwksUrl!);
  } catch (error) {
    throw invalidConfig(`jwksUrl ${JSON.stringify(config.jwksUrl)} is not a URL`, error);
  }
  const jwks = createRemoteJWKSet(url, {
    cooldownDuration: config.jwksCooldownMs ?? 30_000,
    cacheMaxAge: config.jwksCacheMaxAgeMs ?? 600_000,
    timeoutDuration: config.jwksTimeoutMs ?? 5_000,
  });
  return async (header: JWSHeaderParameters) => {
    if (header.alg?.startsWith('HS'))
      throw unauthenticated(
        'algorithm-mismatch',
        `published keys are public keys: they never verify ${header.alg}`,
      );
    try {
      return await jwks(header);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) {
        const published = jwks.jwks()?.keys.some((k) => k.kid !== undefined && k.kid === header.kid);
        throw published
          ? unauthenticated('algorithm-mismatch', `key ${header.kid} does not verify ${header.alg}`)
          : unauthenticated('unknown-kid', `the issuer publishes no key ${JSON.stringify(header.kid)}`);
      }
      if (error instanceof errors.JOSENotSupported)
        throw unauthenticated('algorithm-mismatch', `no published key can verify ${header.alg}`);
      if (error instanceof errors.JWKSMultipleMatchingKeys)
        throw unauthenticated('unknown-kid', 'several published keys match: the token must name one by kid');
      throw new SwitchyardError('UNAVAILABLE', `cannot fetch signing keys from ${url.href}`, {
        cause: error,
      });
    }
  };
}

function classify(error: unknown): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  if (error instanceof errors.JWTExpired) return unauthenticated('expired', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason } = error;
    if (reason === 'missing')
      return unauthenticated('missing-claim', `the token has no ${claim} claim`, { claim });
    if (claim === 'nbf') return unauthenticated('not-yet-valid', 'the token is not valid yet');
    if (claim === 'iss')
      return unauthenticated('wrong-issuer', 'the token was issued by an issuer not trusted here');
    if (claim === 'aud')
      return unauthenticated('wrong-audience', 'the token was issued for another audience');
    return unauthenticated('invalid-claim', `the token's ${claim} claim is invalid`, { claim });
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return unauthenticated('bad-signature', 'the token signature does not verify');
  if (error instanceof errors.JOSEAlgNotAllowed)
    return unauthenticated('algorithm-not-allowed', 'the token algorithm is not accepted');
  if (error instanceof errors.JOSEError) return unauthenticated('malformed', 'the token is malformed');
  return SwitchyardError.from(error);
}

function identityOf(payload: JWTPayload, config: JwtConfig): Identity {
  if (typeof payload.sub !== 'string' || payload.sub === '')
    throw unauthenticated('invalid-claim', "the token's sub claim is not a string", { claim: 'sub' });
  const scopes = config.scopesClaim
    ? listClaim(payload, config.scopesClaim)
    : payload.scope !== undefined
      ? listClaim(payload, 'scope')
      : listClaim(payload, 'scp');
  const clientId = [payload.azp, payload.client_id, payload.sub].find(
    (v) => typeof v === 'string' && v !== '',
  );
  return Object.freeze({
    subject: payload.sub!,
    scopes: Object.freeze(scopes),
    roles: Object.freeze(listClaim(payload, config.rolesClaim ?? 'roles')),
    method: 'jwt',
    clientId: clientId as string,
  });
}

/** A claim holding a list: an array of strings or a space-separated string; absent is empty. */
function listClaim(payload: JWTPayload, path: string): string[] {
  let value: unknown = payload;
  for (const part of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return [...(value as string[])];
  throw unauthenticated('invalid-claim', `the token's ${path} claim is not a list of strings`, {
    claim: path,
  });
}
