import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

/**
 * The shop's development token issuer: one ES256 key pair made on first use and kept beside the
 * example (never committed), so the gateway, `switchyard load` and the scenarios agree on it without a
 * running identity provider. A real deployment points the gateway at its identity provider's JWKS.
 */
export const devIssuer = 'switchyard-shop-dev';
export const devAudience = 'shop';

const keyFile = join(
  process.env.SHOP_STATE_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '..', '.switchyard'),
  'dev-jwt-key.json',
);

interface StoredKey {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

let cached: Promise<StoredKey> | undefined;

/** Reads the key pair, or makes it; two processes making it at once agree on the first one written. */
function devKey(): Promise<StoredKey> {
  return (cached ??= (async () => {
    try {
      return JSON.parse(readFileSync(keyFile, 'utf8')) as StoredKey;
    } catch {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const key: StoredKey = {
        kid: `dev-${randomUUID().slice(0, 8)}`,
        privateJwk: await exportJWK(privateKey),
        publicJwk: await exportJWK(publicKey),
      };
      mkdirSync(dirname(keyFile), { recursive: true });
      const draft = `${keyFile}.${process.pid}.tmp`;
      writeFileSync(draft, JSON.stringify(key), { mode: 0o600 });
      try {
        linkSync(draft, keyFile); // fails if another process won the race: its key is the one
      } catch {
        // fall through to read the winner's
      } finally {
        rmSync(draft, { force: true });
      }
      return JSON.parse(readFileSync(keyFile, 'utf8')) as StoredKey;
    }
  })());
}

/** The gateway's `auth.jwt` section that trusts the dev issuer. */
export async function devJwtConfig() {
  const { kid, publicJwk } = await devKey();
  return {
    issuer: devIssuer,
    audience: devAudience,
    keys: [{ kid, alg: 'ES256', jwk: publicJwk }],
  };
}

export interface DevTokenOptions {
  /** The consumer id the token speaks for (`sub`). */
  subject: string;
  scopes?: readonly string[];
  roles?: readonly string[];
  /** Seconds; default one hour. */
  expiresIn?: number;
  /** More claims, e.g. `azp`: the client application, which rate limits count by. */
  claims?: Record<string, unknown>;
}

/** A bearer token for the shop's gateway. */
export async function mintDevToken(options: DevTokenOptions): Promise<string> {
  const { kid, privateJwk } = await devKey();
  const key = await importJWK(privateJwk, 'ES256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    scope: (options.scopes ?? ['orders:read', 'orders:write']).join(' '),
    roles: [...(options.roles ?? ['consumer'])],
    ...options.claims,
  })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(devIssuer)
    .setAudience(devAudience)
    .setSubject(options.subject)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 3600))
    .sign(key);
}
