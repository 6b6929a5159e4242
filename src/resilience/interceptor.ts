import type { AnyContract } from '../contract/index.js';
import type { Call, Interceptor } from '../runtime/call.js';
import { Context } from '../runtime/context.js';
import { serviceKey } from '../runtime/host.js';
import { bulkhead, type BulkheadOptions, type BulkheadPolicy, type BulkheadRejectEvent } from './bulkhead.js';
import {
  circuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerPolicy,
  type StateChangeEvent,
} from './circuit-breaker.js';
import type { Event } from './events.js';
import { fallback, type FallbackEvent, type FallbackOptions, type FallbackPolicy } from './fallback.js';
import { abortableOf, type ExecuteContext, type Policy } from './policy.js';
import { Relay, type Target } from './relay.js';
import { retry, type GiveUpEvent, type RetryEvent, type RetryOptions, type RetryPolicy } from './retry.js';
import { retryBudget, type RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
import { timeout, type TimeoutEvent, type TimeoutPolicy } from './timeout.js';
import { wrap } from './wrap.js';

/** The policies of one operation; `false` switches off one the default turns on. */
export interface PolicyOptions {
  /** Per attempt, and never more than the call's deadline leaves. */
  timeoutMs?: number | false;
  bulkhead?: BulkheadOptions | false;
  circuitBreaker?: CircuitBreakerOptions | false;
  /** Whether to retry non-idempotent work comes from the contract (`idempotent`), not from here. */
  retry?: Omit<RetryOptions, 'idempotent' | 'budget'> | false;
  fallback?: FallbackOptions | false;
}

export interface ResilienceConfig {
  default?: PolicyOptions;
  /** Keyed `<contract name>.<operation>`, e.g. `orders.getOrder`; each field replaces the default's. */
  operations?: Record<string, PolicyOptions>;
  /** Retry throttling, one budget per target service shared by all its operations. */
  retryBudget?: RetryBudgetOptions;
}

/** The instances serving one operation of one service. */
export interface OperationPolicies {
  readonly policy: Policy<unknown>;
  readonly fallback?: FallbackPolicy<unknown>;
  readonly retry?: RetryPolicy;
  readonly circuitBreaker?: CircuitBreakerPolicy;
  readonly bulkhead?: BulkheadPolicy;
  readonly timeout?: TimeoutPolicy;
}

/** Every policy event of every operation, tagged with its target, for metrics and logs. */
export interface ResilienceEvents {
  readonly onStateChange: Event<StateChangeEvent & Target>;
  readonly onRetry: Event<RetryEvent & Target>;
  readonly onGiveUp: Event<GiveUpEvent & Target>;
  readonly onBulkheadReject: Event<BulkheadRejectEvent & Target>;
  readonly onTimeout: Event<TimeoutEvent & Target>;
  readonly onFallback: Event<FallbackEvent & Target>;
}

export interface ResilienceInterceptor extends Interceptor {
  readonly events: ResilienceEvents;
  /** The instances built for an operation (after its first call), or undefined. */
  policies(contract: AnyContract, operation: string): OperationPolicies | undefined;
}

/**
 * Client-side resilience as one interceptor. Each operation of each target service gets its own
 * instances, built on its first call and kept: a breaker or a budget only works if every call to the
 * target shares it. The layers, outermost first:
 *   fallback → retry → circuit breaker → bulkhead → timeout → (next interceptors, transport)
 * - fallback outermost: it stands in only once everything else has failed, retries included;
 * - retry outside the breaker: each attempt is judged (and counted) by the breaker, and an open breaker
 *   fails the attempt fast with CIRCUIT_OPEN, which is not retried;
 * - bulkhead inside the breaker: an attempt the breaker refuses takes no slot; a slot is held per
 *   attempt, never across a backoff sleep;
 * - timeout innermost: it limits one attempt (clamped to the call's deadline), so a retry gets a fresh
 *   attempt budget while the deadline still bounds the whole call.
 */
export function resilienceInterceptor(config: ResilienceConfig): ResilienceInterceptor {
  const entries = new Map<string, OperationPolicies | null>();
  const budgets = new Map<string, RetryBudget>();
  const relays = {
    stateChange: new Relay<StateChangeEvent>(),
    retry: new Relay<RetryEvent>(),
    giveUp: new Relay<GiveUpEvent>(),
    bulkheadReject: new Relay<BulkheadRejectEvent>(),
    timeout: new Relay<TimeoutEvent>(),
    fallback: new Relay<FallbackEvent>(),
  };

  function build(contract: AnyContract, operation: string): OperationPolicies | null {
    const o: PolicyOptions = { ...config.default, ...config.operations?.[`${contract.name}.${operation}`] };
    const target: Target = { service: serviceKey(contract), operation };
    const def = contract.operations[operation];
    const p: { -readonly [K in keyof OperationPolicies]?: OperationPolicies[K] } = {};
    if (o.fallback) relays.fallback.add((p.fallback = fallback(o.fallback)).onFallback, target);
    if (o.retry) {
      p.retry = retry({
        ...o.retry,
        idempotent: def?.idempotent ?? false,
        budget: budgetFor(target.service),
      });
      relays.retry.add(p.retry.onRetry, target);
      relays.giveUp.add(p.retry.onGiveUp, target);
    }
    if (o.circuitBreaker)
      relays.stateChange.add((p.circuitBreaker = circuitBreaker(o.circuitBreaker)).onStateChange, target);
    if (o.bulkhead) relays.bulkheadReject.add((p.bulkhead = bulkhead(o.bulkhead)).onReject, target);
    if (o.timeoutMs) relays.timeout.add((p.timeout = timeout(o.timeoutMs)).onTimeout, target);
    const layers = [p.fallback, p.retry, p.circuitBreaker, p.bulkhead, p.timeout].filter(
      (l) => l !== undefined,
    );
    return layers.length === 0 ? null : { ...p, policy: wrap(...layers) };
  }

  function budgetFor(service: string): RetryBudget | undefined {
    if (!config.retryBudget) return undefined;
    let budget = budgets.get(service);
    if (!budget) budgets.set(service, (budget = retryBudget(config.retryBudget)));
    return budget;
  }

  // Keyed by the contract object on the per-call path (no key string built per call); by name and
  // major for a contract loaded twice, which must share the same instances.
  const byContract = new WeakMap<AnyContract, Map<string, OperationPolicies | null>>();
  function policiesOf(contract: AnyContract, operation: string): OperationPolicies | null {
    let known = byContract.get(contract);
    if (!known) byContract.set(contract, (known = new Map()));
    let entry = known.get(operation);
    if (entry === undefined) {
      const key = `${serviceKey(contract)}.${operation}`;
      entry = entries.get(key);
      if (entry === undefined) entries.set(key, (entry = build(contract, operation)));
      known.set(operation, entry);
    }
    return entry;
  }

  const interceptor: Interceptor = (next) => (call) => {
    const entry = policiesOf(call.contract, call.operation);
    if (!entry) return next(call);
    const { ctx } = call;
    return entry.policy.execute((attempt) => next(attemptCall(call, attempt)), {
      signal: ctx.signal,
      deadline: ctx.deadline,
      attempt: ctx.attempt,
      input: call.input,
    });
  };

  return Object.assign(interceptor, {
    events: {
      onStateChange: relays.stateChange.event,
      onRetry: relays.retry.event,
      onGiveUp: relays.giveUp.event,
      onBulkheadReject: relays.bulkheadReject.event,
      onTimeout: relays.timeout.event,
      onFallback: relays.fallback.event,
    },
    policies: (contract: AnyContract, operation: string) => policiesOf(contract, operation) ?? undefined,
  });
}

/**
 * The call as one attempt sends it: the attempt's signal, deadline and number, with the call's id,
 * causation and trace kept, so a server (or an inbox) sees every attempt as the same request.
 */
function attemptCall(call: Call, attempt: ExecuteContext): Call {
  const { ctx } = call;
  // The policies derive the attempt's abort from the call's and fire it at the attempt deadline.
  const abortable = abortableOf(attempt);
  let attemptCtx: Context;
  if (abortable)
    attemptCtx = new Context({
      attemptOf: ctx,
      abortable,
      deadline: attempt.deadline,
      attempt: attempt.attempt,
    });
  else if (
    attempt.signal === ctx.signal &&
    attempt.deadline === ctx.deadline &&
    attempt.attempt === ctx.attempt
  )
    return call;
  else
    attemptCtx = new Context({
      attemptOf: ctx,
      signal: attempt.signal,
      signalCoversDeadline: true,
      deadline: attempt.deadline,
      attempt: attempt.attempt,
    });
  return { ...call, ctx: attemptCtx };
}
