import type { AuthModule, FlagsModule, RateLimitModule } from './seams.js';

/**
 * The policy modules load on first use, so a gateway without authentication does not load jose, and
 * one without a Redis limiter does not load ioredis.
 */
export const loadAuth = (): Promise<AuthModule> => import('../auth/index.js');
export const loadRateLimit = (): Promise<RateLimitModule> => import('../rate-limit/index.js');
export const loadFlags = (): Promise<FlagsModule> => import('../../flags/index.js');
