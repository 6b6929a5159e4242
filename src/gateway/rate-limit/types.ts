/** How many requests a client may make: `limit` per `windowMs` on average, at most `burst` at once. */
export interface RateRule {
  readonly limit: number;
  readonly windowMs: number;
  /** Requests admitted back to back by an idle client (the bucket's size). Default: `limit`. */
  readonly burst?: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** The rule's `limit`. */
  readonly limit: number;
  /** Requests that would still be admitted right now, after this one. */
  readonly remaining: number;
  /** Milliseconds until the client's bucket is full again (every request of a burst is available). */
  readonly resetMs: number;
  /** Milliseconds until a denied request would be admitted; 0 when allowed. */
  readonly retryAfterMs: number;
  /** The rule's window and burst, for the `RateLimit-Policy` header. */
  readonly windowMs: number;
  readonly burst: number;
}

/**
 * Counts requests per key (client, route, or both) with GCRA. A denied request is not counted, so a
 * client hammering a closed limit is admitted again at the rule's rate, not later.
 */
export interface RateLimiter {
  take(key: string, rule: RateRule): Promise<RateDecision>;
  close(): Promise<void>;
}
