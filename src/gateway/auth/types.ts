import type { IncomingHttpHeaders } from 'node:http';
import type { JWK } from 'jose';

/** Who is calling, as established at the edge and passed on to services in `x-identity-*` headers. */
export interface Identity {
  /** The token's `sub`, or the API key's subject (its id unless configured). */
  readonly subject: string;
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly method: 'jwt' | 'api-key';
  /** The application calling: the token's `azp` or `client_id` (else `sub`), or the API key's id. */
  readonly clientId: string;
}

/** A key tokens are verified with, bound to one algorithm so no token can pick another. */
export type VerificationKey = {
  /** Tokens naming this `kid` use this key. Needed when several keys share an algorithm. */
  readonly kid?: string;
  /** The one JWS algorithm this key verifies (e.g. `ES256`, `RS256`, `EdDSA`, `HS256`). */
  readonly alg: string;
} & (
  | { readonly jwk: JWK }
  /** SPKI public key (`-----BEGIN PUBLIC KEY-----`) or X.509 certificate. */
  | { readonly pem: string }
  /** A shared secret, for HS256/384/512 only. */
  | { readonly secret: string }
);

export interface JwtConfig {
  /** Where the issuer publishes its keys; cached, refetched when a token names an unknown `kid`. */
  readonly jwksUrl?: string;
  /** Keys configured directly (checked before the JWKS). */
  readonly keys?: readonly VerificationKey[];
  /** Accepted `iss` values. Required: a token of another issuer is never accepted. */
  readonly issuer: string | readonly string[];
  /** Accepted `aud` values. Required: a token minted for another API is never accepted. */
  readonly audience: string | readonly string[];
  /**
   * Accepted `alg` values. Default: the algorithms of `keys`, plus the asymmetric ones when a
   * `jwksUrl` is set. `none` is never accepted.
   */
  readonly algorithms?: readonly string[];
  /** Allowance for clocks that disagree, applied to `exp` and `nbf`. Default 30 s. */
  readonly clockSkewSeconds?: number;
  /** Tokens without `exp` are rejected unless this is false. Default true. */
  readonly requireExpiry?: boolean;
  /** Least time between two JWKS fetches caused by unknown `kid`s. Default 30 s. */
  readonly jwksCooldownMs?: number;
  /** Keys older than this are fetched again before use. Default 10 min. */
  readonly jwksCacheMaxAgeMs?: number;
  /** Default 5 s. */
  readonly jwksTimeoutMs?: number;
  /**
   * Verified tokens remembered (by their text, for at most a minute and never past `exp`), so a
   * client's token is not verified again on every request. Default 10 000; 0 turns it off.
   */
  readonly tokenCacheSize?: number;
  /** Claim holding scopes (space-separated string or array). Default `scope`, else `scp`. */
  readonly scopesClaim?: string;
  /** Claim holding roles; a dotted path reaches into objects (`realm_access.roles`). Default `roles`. */
  readonly rolesClaim?: string;
}

export interface ApiKeyEntry {
  /** Names the key in logs and becomes the caller's client id. */
  readonly id: string;
  /** SHA-256 of the key, in hex (`hashApiKey`): the key itself is never stored. */
  readonly hash: string;
  /** Default: `id`. */
  readonly subject?: string;
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
}

export interface ApiKeyConfig {
  /** Request header carrying the key. Default `x-api-key`. */
  readonly header?: string;
  readonly keys: readonly ApiKeyEntry[];
}

export interface AuthConfig {
  readonly jwt?: JwtConfig;
  readonly apiKeys?: ApiKeyConfig;
}

export interface Authenticator {
  /**
   * The caller's identity; undefined when the request carries no credentials. Bad credentials throw
   * UNAUTHENTICATED with `details.reason` (an `AuthFailureReason`); a JWKS that cannot be fetched
   * throws UNAVAILABLE (the caller is not at fault).
   */
  authenticate(headers: IncomingHttpHeaders): Promise<Identity | undefined>;
  /** Resolves once configured keys are imported; rejects with what is wrong with them. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Why a credential was refused: `details.reason` of the UNAUTHENTICATED error (docs/gateway-auth-and-limits.md). */
export const authFailureReasons = [
  'missing-credentials',
  'malformed',
  'unsupported-scheme',
  'multiple-credentials',
  'jwt-not-accepted',
  'api-key-not-accepted',
  'alg-none',
  'algorithm-not-allowed',
  'algorithm-mismatch',
  'unknown-kid',
  'bad-signature',
  'expired',
  'not-yet-valid',
  'wrong-issuer',
  'wrong-audience',
  'missing-claim',
  'invalid-claim',
  'unknown-api-key',
] as const;
export type AuthFailureReason = (typeof authFailureReasons)[number];
