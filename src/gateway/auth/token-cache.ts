import { unauthenticated } from './failure.js';
import type { Identity } from './types.js';

/** How long a verified token is trusted without verifying it again, so a withdrawn key stops working soon. */
export const tokenCacheMaxAgeMs = 60_000;

interface Entry {
  readonly identity: Identity;
  /** `exp` plus the skew allowance, in ms; Infinity for tokens without `exp`. */
  readonly expiresAt: number;
  readonly trustedUntil: number;
}

/**
 * Identities of tokens verified recently, by the exact token text. A client sends the same token with
 * every request until it expires, and a signature check costs far more than the rest of the gateway's
 * work on a request. Only expiry is checked again on a hit: everything else about a token is fixed
 * by its text. Oldest entries go first when the cache is full.
 */
export function tokenCache(maxEntries: number) {
  const entries = new Map<string, Entry>();
  return {
    get(token: string): Identity | undefined {
      const entry = entries.get(token);
      if (!entry) return undefined;
      const now = Date.now();
      if (now >= entry.expiresAt) {
        entries.delete(token);
        throw unauthenticated('expired', 'the token has expired');
      }
      if (now >= entry.trustedUntil) {
        entries.delete(token);
        return undefined;
      }
      return entry.identity;
    },
    set(token: string, identity: Identity, exp: number | undefined, skewSeconds: number): void {
      if (maxEntries <= 0) return;
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      const now = Date.now();
      entries.set(token, {
        identity,
        expiresAt: exp === undefined ? Infinity : (exp + skewSeconds) * 1000,
        trustedUntil: now + tokenCacheMaxAgeMs,
      });
    },
  };
}
