import { check } from './policy.js';

export interface RetryBudgetOptions {
  /** Tokens in a full bucket (gRPC allows 1–1000). */
  maxTokens: number;
  /** Tokens a success puts back; below 1, so sustained failures drain the bucket. */
  tokenRatio: number;
}

/**
 * Retry throttling per gRFC A6, shared by every call to one target: a retry storm against a failing
 * service is what turns an outage into an overload. Each failure takes a token, each success gives
 * back `tokenRatio`, and retries are allowed only while more than half the bucket is left. The first
 * attempt of a call is never throttled, only its retries.
 */
export interface RetryBudget {
  readonly tokens: number;
  /** Whether a retry may be made now. */
  allows(): boolean;
  success(): void;
  failure(): void;
}

export function retryBudget(options: RetryBudgetOptions): RetryBudget {
  const { maxTokens, tokenRatio } = options;
  check(maxTokens > 0, 'retryBudget: maxTokens must be positive');
  check(tokenRatio > 0, 'retryBudget: tokenRatio must be positive');
  let tokens = maxTokens;
  return {
    get tokens() {
      return tokens;
    },
    allows: () => tokens > maxTokens / 2,
    success() {
      tokens = Math.min(maxTokens, tokens + tokenRatio);
    },
    failure() {
      tokens = Math.max(0, tokens - 1);
    },
  };
}
