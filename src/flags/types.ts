/** A variant's value: what the code behind a flag receives. */
export type FlagValue = boolean | string | number | { readonly [key: string]: unknown };

export type AttributeValue = string | number | boolean;

/**
 * One test on a context attribute; exactly one operator per condition. A missing attribute never
 * matches. `contains` tests a substring of a string attribute, or membership of a list attribute
 * (such as the gateway's `roles` and `scopes`).
 */
export type Condition = { readonly attribute: string } & (
  | { readonly equals: AttributeValue }
  | { readonly notEquals: AttributeValue }
  | { readonly in: readonly AttributeValue[] }
  | { readonly notIn: readonly AttributeValue[] }
  | { readonly startsWith: string }
  | { readonly endsWith: string }
  | { readonly contains: string }
  | { readonly gt: number }
  | { readonly gte: number }
  | { readonly lt: number }
  | { readonly lte: number }
);

export const operators = [
  'equals',
  'notEquals',
  'in',
  'notIn',
  'startsWith',
  'endsWith',
  'contains',
  'gt',
  'gte',
  'lt',
  'lte',
] as const;
export type Operator = (typeof operators)[number];

/**
 * Variant name → percentage (0–100, two decimals at most). Percentages that add up to less than 100
 * leave the rest to the flag's default variant. Buckets are handed out in the order variants are
 * listed, so raising the first one's share keeps everyone who already had it.
 */
export type Rollout = Readonly<Record<string, number>>;

export interface TargetingRule {
  /** All must hold; an empty list always does. */
  readonly when: readonly Condition[];
  /** The variant served when the rule holds… */
  readonly variant?: string;
  /** …or a percentage split of those it holds for. */
  readonly rollout?: Rollout;
}

export interface FlagDefinition {
  readonly description?: string;
  /** Default true. A disabled flag serves its default variant with reason DISABLED. */
  readonly enabled?: boolean;
  /** Variant name → value. Default `{ on: true, off: false }`: a boolean flag. */
  readonly variants?: Readonly<Record<string, FlagValue>>;
  /** Served when no rule decides. Default `off`. */
  readonly defaultVariant?: string;
  /** Tried in order; the first that holds decides. */
  readonly rules?: readonly TargetingRule[];
  /** Split of everyone no rule decided for. */
  readonly rollout?: Rollout;
  /** Context attribute to bucket by before the targeting key (e.g. `tenantId`). */
  readonly stickiness?: string;
}

/** What a flag file holds and what the hub serves. */
export interface FlagDocument {
  readonly flags: Readonly<Record<string, FlagDefinition>>;
}

export interface EvaluationContext {
  /** Who is asking: the user id, or whatever a rollout should stick to. */
  readonly targetingKey?: string;
  /** Includes `sessionId`, the stickiness fallback when there is no targeting key. */
  readonly attributes?: Readonly<Record<string, AttributeValue | readonly string[]>>;
}

/** OpenFeature's resolution reasons. */
export type Reason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DEFAULT' | 'DISABLED' | 'ERROR';

export type EvaluationErrorCode = 'FLAG_NOT_FOUND' | 'PROVIDER_NOT_READY' | 'TYPE_MISMATCH' | 'GENERAL';

export interface Evaluation {
  readonly key: string;
  /** Undefined only when `reason` is ERROR. */
  readonly value: FlagValue | undefined;
  readonly variant: string | undefined;
  readonly reason: Reason;
  readonly errorCode?: EvaluationErrorCode;
  readonly errorMessage?: string;
}
