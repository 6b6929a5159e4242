import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { SwitchyardError } from '../../errors/index.js';
import type { JwtConfig } from './types.js';

export interface DevIssuerOptions {
  /** Default ES256. */
  algorithm?: 'ES256' | 'RS256' | 'PS256' | 'EdDSA';
  /** Default 127.0.0.1: the issuer is for development and tests, never for production. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** `iss` of minted tokens. Default: the issuer's own URL. */
  issuer?: string;
  /** `aud` of minted tokens. Default `switchyard`. */
  audience?: string;
}

export interface MintOptions {
  subject: string;
  scopes?: readonly string[];
  roles?: readonly string[];
  /** Seconds until `exp`; negative mints an expired token. Default 300. */
  expiresIn?: number;
  /** Seconds until `nbf` (a token not valid yet); none by default. */
  notBefore?: number;
  audience?: string | string[];
  issuer?: string;
  /** Extra claims (e.g. `azp`); they override the others, and `undefined` removes one. */
  claims?: Record<string, unknown>;
}

export interface DevIssuer {
  readonly url: string;
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly audience: string;
  /** `kid` of the key tokens are signed with now. */
  readonly kid: string;
  /** How many times the JWKS was fetched (to see caching at work). */
  readonly jwksRequests: number;
  /** A signed token for `subject` with the given scopes, roles and lifetime. */
  mint(options: MintOptions): Promise<string>;
  /** Signs from now on with a new key; the JWKS keeps the previous ones unless `dropPrevious`. */
  rotate(options?: { dropPrevious?: boolean }): Promise<string>;
  /** The gateway's `auth.jwt` config that trusts this issuer. */
  jwtConfig(): JwtConfig;
  close(): Promise<void>;
}

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

/**
 * A token issuer for development and tests: a key pair made at start, a JWKS served over HTTP at
 * `/.well-known/jwks.json`, and tokens minted on demand. It stands in for the identity provider a
 * real deployment trusts (Keycloak, Auth0, …) so the example system and tests need none.
 */
export async function startDevIssuer(options: DevIssuerOptions = {}): Promise<DevIssuer> {
  const alg = options.algorithm ?? 'ES256';
  const audience = options.audience ?? 'switchyard';
  let keys: SigningKey[] = [await newKey(alg)];
  let jwksRequests = 0;

  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/.well-known/jwks.json') {
      jwksRequests++;
      const body = JSON.stringify({ keys: keys.map((k) => k.jwk) });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(body);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => (server.off('error', fail), done()));
  });
  const address = server.address() as { address: string; port: number };
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  const issuer = options.issuer ?? url;
  const jwksUrl = `${url}/.well-known/jwks.json`;
  const current = () => keys[keys.length - 1]!;

  return {
    url,
    jwksUrl,
    issuer,
    audience,
    get kid() {
      return current().kid;
    },
    get jwksRequests() {
      return jwksRequests;
    },
    async mint(mint) {
      if (!mint.subject) throw new SwitchyardError('INVALID_ARGUMENT', 'mint needs a subject');
      const now = Math.floor(Date.now() / 1000);
      // Built as one object so `claims` can override or remove (with undefined) any standard claim.
      const payload = {
        sub: mint.subject,
        iss: mint.issuer ?? issuer,
        aud: mint.audience ?? audience,
        iat: now,
        exp: now + (mint.expiresIn ?? 300),
        jti: randomUUID(),
        ...(mint.notBefore === undefined ? {} : { nbf: now + mint.notBefore }),
        ...(mint.scopes ? { scope: mint.scopes.join(' ') } : {}),
        ...(mint.roles ? { roles: [...mint.roles] } : {}),
        ...mint.claims,
      };
      const jwt = new SignJWT(payload).setProtectedHeader({ alg, kid: current().kid, typ: 'JWT' });
      return jwt.sign(current().privateKey);
    },
    async rotate(rotate = {}) {
      const next = await newKey(alg);
      keys = rotate.dropPrevious ? [next] : [...keys, next];
      return next.kid;
    },
    jwtConfig: () => ({ jwksUrl, issuer, audience }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

async function newKey(alg: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, privateKey, jwk };
}
