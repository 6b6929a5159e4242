export type { RateDecision, RateLimiter, RateRule } from './types.js';
export { memoryRateLimiter, type MemoryRateLimiter, type MemoryRateLimiterOptions } from './memory.js';
export { redisRateLimiter, type RedisRateLimiterOptions } from './redis.js';
export { rateLimitHeaders, rateLimitedError } from './headers.js';
