import { SwitchyardError } from '../../errors/index.js';
import type { RateDecision, RateRule } from './types.js';

/**
 * GCRA in integer microseconds, so comparisons are exact and the Redis script (which mirrors this
 * function) reaches the same answers. The emission interval is rounded up: a rule is never exceeded
 * because of rounding, at the price of admitting a hair less than the rule allows.
 */
export interface GcraParams {
  /** Microseconds between two requests at the sustained rate. */
  readonly intervalUs: number;
  /** How far the theoretical arrival time may run ahead of now: `burst` intervals. */
  readonly toleranceUs: number;
  readonly rule: Required<RateRule>;
}

export function gcraParams(rule: RateRule): GcraParams {
  const burst = rule.burst ?? rule.limit;
  const problems: string[] = [];
  if (!Number.isSafeInteger(rule.limit) || rule.limit < 1) problems.push('limit must be an integer >= 1');
  if (!Number.isFinite(rule.windowMs) || rule.windowMs <= 0) problems.push('windowMs must be > 0');
  if (!Number.isSafeInteger(burst) || burst < 1) problems.push('burst must be an integer >= 1');
  if (problems.length > 0)
    throw new SwitchyardError('INVALID_ARGUMENT', `invalid rate rule: ${problems.join('; ')}`, {
      details: { rule },
    });
  const intervalUs = Math.max(1, Math.ceil((rule.windowMs * 1000) / rule.limit));
  return {
    intervalUs,
    toleranceUs: intervalUs * burst,
    rule: { limit: rule.limit, windowMs: rule.windowMs, burst },
  };
}

export interface GcraStep {
  readonly allowed: boolean;
  /** The new theoretical arrival time to store (only meaningful when allowed). */
  readonly tatUs: number;
  readonly remaining: number;
  readonly resetUs: number;
  readonly retryAfterUs: number;
}

/** One request at `nowUs` against the stored theoretical arrival time (undefined for a new key). */
export function gcraStep(params: GcraParams, storedTatUs: number | undefined, nowUs: number): GcraStep {
  const { intervalUs, toleranceUs } = params;
  const tat = Math.max(storedTatUs ?? nowUs, nowUs);
  const next = tat + intervalUs;
  if (next - nowUs > toleranceUs) {
    return {
      allowed: false,
      tatUs: tat,
      remaining: 0,
      resetUs: tat - nowUs,
      retryAfterUs: next - toleranceUs - nowUs,
    };
  }
  return {
    allowed: true,
    tatUs: next,
    remaining: Math.floor((toleranceUs - (next - nowUs)) / intervalUs),
    resetUs: next - nowUs,
    retryAfterUs: 0,
  };
}

export function toDecision(params: GcraParams, step: Omit<GcraStep, 'tatUs'>): RateDecision {
  return {
    allowed: step.allowed,
    limit: params.rule.limit,
    remaining: step.remaining,
    resetMs: Math.ceil(step.resetUs / 1000),
    retryAfterMs: Math.ceil(step.retryAfterUs / 1000),
    windowMs: params.rule.windowMs,
    burst: params.rule.burst,
  };
}
