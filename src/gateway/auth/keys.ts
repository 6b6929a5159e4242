import { importJWK, importSPKI, importX509, type CryptoKey, type JWSHeaderParameters } from 'jose';
import { SwitchyardError } from '../../errors/index.js';
import { unauthenticated } from './failure.js';
import type { VerificationKey } from './types.js';

export const symmetricAlgorithms = ['HS256', 'HS384', 'HS512'] as const;
export const asymmetricAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
const known = new Set<string>([...symmetricAlgorithms, ...asymmetricAlgorithms]);
const isSymmetric = (alg: string) => alg.startsWith('HS');

interface ImportedKey {
  readonly kid: string | undefined;
  readonly alg: string;
  readonly key: CryptoKey | Uint8Array;
}

/** Configuration errors are found before the first request, not by it. */
export function checkKeys(keys: readonly VerificationKey[]): void {
  keys.forEach((entry, i) => {
    const where = `jwt.keys[${i}]${entry.kid === undefined ? '' : ` (kid ${entry.kid})`}`;
    if (!known.has(entry.alg))
      throw invalidConfig(`${where}: unknown algorithm ${JSON.stringify(entry.alg)}`);
    const secret = 'secret' in entry;
    if (secret !== isSymmetric(entry.alg))
      throw invalidConfig(
        secret
          ? `${where}: a secret verifies HS256/384/512 only, not ${entry.alg}`
          : `${where}: ${entry.alg} needs a public key (jwk or pem), not a secret`,
      );
    if (secret && Buffer.byteLength(entry.secret) < 32)
      throw invalidConfig(`${where}: an HMAC secret must be at least 32 bytes`);
  });
}

async function importKey(entry: VerificationKey): Promise<ImportedKey> {
  let key: CryptoKey | Uint8Array;
  if ('secret' in entry) key = new TextEncoder().encode(entry.secret);
  else if ('jwk' in entry) {
    if (entry.jwk.d !== undefined || entry.jwk.kty === 'oct')
      throw invalidConfig(
        `key ${entry.kid ?? entry.alg}: configure the public key, not a private or shared one`,
      );
    key = (await importJWK(entry.jwk, entry.alg)) as CryptoKey;
  } else if (/-----BEGIN CERTIFICATE-----/.test(entry.pem)) key = await importX509(entry.pem, entry.alg);
  else key = await importSPKI(entry.pem, entry.alg);
  return { kid: entry.kid, alg: entry.alg, key };
}

export function invalidConfig(message: string, cause?: unknown): SwitchyardError {
  return new SwitchyardError(
    'INVALID_ARGUMENT',
    `auth config: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * Configured keys, each bound to its algorithm. A token whose `alg` differs from its key's is refused
 * before any verification: this is what stops algorithm confusion (an HS256 token "signed" with an
 * RSA public key used as the HMAC secret).
 */
export function configuredKeys(keys: readonly VerificationKey[]) {
  const imported = Promise.all(keys.map(importKey)).catch((error: unknown) => {
    throw SwitchyardError.is(error)
      ? error
      : invalidConfig(`a key could not be imported: ${(error as Error).message}`, error);
  });
  imported.catch(() => undefined);
  return {
    ready: async () => void (await imported),
    /** Whether a configured key carries this `kid` (else the JWKS is asked). */
    async has(kid: string | undefined): Promise<boolean> {
      return kid !== undefined && (await imported).some((k) => k.kid === kid);
    },
    async resolve(header: JWSHeaderParameters): Promise<CryptoKey | Uint8Array> {
      const all = await imported;
      const candidates = header.kid === undefined ? all : all.filter((k) => k.kid === header.kid);
      if (candidates.length === 0)
        throw unauthenticated('unknown-kid', `no key with kid ${JSON.stringify(header.kid)}`);
      const matching = candidates.filter((k) => k.alg === header.alg);
      if (matching.length === 0)
        throw unauthenticated(
          'algorithm-mismatch',
          `the token says ${header.alg} but its key verifies ${candidates.map((k) => k.alg).join(', ')}`,
        );
      if (matching.length > 1)
        throw unauthenticated(
          'unknown-kid',
          `several ${header.alg} keys are configured: the token must name one by kid`,
        );
      return matching[0]!.key;
    },
  };
}
