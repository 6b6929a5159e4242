export type { Disposable, Event } from './events.js';
export type { ExecuteContext, ExecuteOptions, Policy } from './policy.js';
export { wrap, type AltOf } from './wrap.js';
export { timeout, type TimeoutEvent, type TimeoutOptions, type TimeoutPolicy } from './timeout.js';
export { bulkhead, type BulkheadOptions, type BulkheadPolicy, type BulkheadRejectEvent } from './bulkhead.js';
export {
  circuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerPolicy,
  type CircuitMetrics,
  type CircuitState,
  type StateChangeEvent,
  type StateChangeReason,
} from './circuit-breaker.js';
export type { WindowOptions } from './sliding-window.js';
export {
  retry,
  safeToRepeat,
  type BackoffOptions,
  type GiveUpEvent,
  type GiveUpReason,
  type RetryEvent,
  type RetryOptions,
  type RetryPolicy,
} from './retry.js';
export { retryBudget, type RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
export {
  fallback,
  OMITTED,
  type FallbackAlt,
  type FallbackEvent,
  type FallbackKind,
  type FallbackOptions,
  type FallbackPolicy,
} from './fallback.js';
export { blame, isCalleeFailure, isNotRecorded, isUnanswered, type Blame } from './classify.js';
export {
  resilienceInterceptor,
  type OperationPolicies,
  type PolicyOptions,
  type ResilienceConfig,
  type ResilienceEvents,
  type ResilienceInterceptor,
} from './interceptor.js';
export type { Target } from './relay.js';
