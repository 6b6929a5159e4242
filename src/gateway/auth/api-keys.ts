import { createHash, timingSafeEqual } from 'node:crypto';
import { unauthenticated } from './failure.js';
import { invalidConfig } from './keys.js';
import type { ApiKeyConfig, Identity } from './types.js';

/** What to store for an API key: its SHA-256 in hex. Keys are random, so no salt or slow hash is needed. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Looks a presented key up by comparing its digest with every stored digest in constant time, so
 * neither the comparison nor where the match sits in the list shows in the response time.
 */
export function apiKeyVerifier(config: ApiKeyConfig) {
  const ids = new Set<string>();
  const entries = config.keys.map((entry, i) => {
    if (typeof entry.id !== 'string' || entry.id === '') throw invalidConfig(`apiKeys.keys[${i}] has no id`);
    if (ids.has(entry.id)) throw invalidConfig(`apiKeys.keys[${i}]: id ${entry.id} is used twice`);
    ids.add(entry.id);
    if (!/^[0-9a-f]{64}$/i.test(entry.hash))
      throw invalidConfig(`apiKeys.keys[${i}] (${entry.id}): hash must be the key's SHA-256 in hex`);
    const identity: Identity = Object.freeze({
      subject: entry.subject ?? entry.id,
      scopes: Object.freeze([...(entry.scopes ?? [])]),
      roles: Object.freeze([...(entry.roles ?? [])]),
      method: 'api-key',
      clientId: entry.id,
    });
    return { digest: Buffer.from(entry.hash, 'hex'), identity };
  });

  return {
    verify(key: string): Identity {
      const digest = createHash('sha256').update(key, 'utf8').digest();
      let found: Identity | undefined;
      for (const entry of entries) if (timingSafeEqual(digest, entry.digest)) found = entry.identity;
      if (!found) throw unauthenticated('unknown-api-key', 'the API key is not valid');
      return found;
    },
  };
}
