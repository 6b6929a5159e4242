/**
 * The edge policies the pipeline applies, as their modules provide them. Type-only: the modules
 * themselves load on first use (see load.ts).
 */
export type { Authenticator, AuthConfig, Identity } from '../auth/index.js';
export type { Requirements } from '../auth/index.js';
export type { RateDecision, RateLimiter, RateRule } from '../rate-limit/index.js';
export type { EvaluationContext, Flags } from '../../flags/index.js';

export type AuthModule = typeof import('../auth/index.js');
export type RateLimitModule = typeof import('../rate-limit/index.js');
export type FlagsModule = typeof import('../../flags/index.js');
