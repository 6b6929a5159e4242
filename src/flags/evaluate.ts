import { hashString } from '../internal/hash.js';
import { defaultVariants } from './definition.js';
import type {
  AttributeValue,
  Condition,
  EvaluationContext,
  Evaluation,
  FlagDefinition,
  FlagValue,
  Rollout,
} from './types.js';

/** Rollouts are cut into this many buckets: shares have two decimals. */
export const bucketCount = 10_000;

/** Cumulative bucket limits, in the order the variants were listed. */
type Split = ReadonlyArray<{ readonly variant: string; readonly below: number }>;

interface CompiledRule {
  readonly test: (context: EvaluationContext) => boolean;
  readonly variant?: string;
  readonly split?: Split;
}

export interface CompiledFlag {
  readonly key: string;
  readonly enabled: boolean;
  readonly variants: Readonly<Record<string, FlagValue>>;
  readonly defaultVariant: string;
  readonly rules: readonly CompiledRule[];
  readonly split: Split | undefined;
  readonly stickiness: string | undefined;
}

/** Turns a validated definition into closures, once per change rather than once per evaluation. */
export function compileFlag(key: string, def: FlagDefinition): CompiledFlag {
  return {
    key,
    enabled: def.enabled ?? true,
    variants: def.variants ?? defaultVariants,
    defaultVariant: def.defaultVariant ?? 'off',
    rules: (def.rules ?? []).map((rule) => {
      const tests = rule.when.map(conditionTest);
      return {
        test: (context: EvaluationContext) => tests.every((t) => t(context)),
        ...(rule.variant === undefined ? {} : { variant: rule.variant }),
        ...(rule.rollout === undefined ? {} : { split: splitOf(rule.rollout) }),
      };
    }),
    split: def.rollout === undefined ? undefined : splitOf(def.rollout),
    stickiness: def.stickiness,
  };
}

export function evaluateFlag(
  flag: CompiledFlag,
  context: EvaluationContext,
  random = Math.random,
): Evaluation {
  const serve = (variant: string, reason: Evaluation['reason']): Evaluation => ({
    key: flag.key,
    value: flag.variants[variant],
    variant,
    reason,
  });
  if (!flag.enabled) return serve(flag.defaultVariant, 'DISABLED');
  for (const rule of flag.rules) {
    if (!rule.test(context)) continue;
    if (rule.variant !== undefined) return serve(rule.variant, 'TARGETING_MATCH');
    return serve(pick(flag, rule.split!, context, random), 'SPLIT');
  }
  if (flag.split) return serve(pick(flag, flag.split, context, random), 'SPLIT');
  return serve(flag.defaultVariant, flag.rules.length > 0 ? 'DEFAULT' : 'STATIC');
}

/**
 * The bucket (0 to 9 999) of a stickiness value for one flag. The flag key is hashed in, so the same
 * users are not always the first to get every new feature.
 */
export function bucketOf(flagKey: string, stickiness: string): number {
  return hashString(`${flagKey}:${stickiness}`) % bucketCount;
}

/**
 * What a rollout sticks to: the flag's own stickiness attribute, else the targeting key, else the
 * session; with none of them every evaluation is a fresh draw.
 */
export function stickinessOf(flag: CompiledFlag, context: EvaluationContext): string | undefined {
  const attributes = context.attributes ?? {};
  const own = flag.stickiness === undefined ? undefined : attributes[flag.stickiness];
  if (own !== undefined) return String(own);
  if (context.targetingKey) return context.targetingKey;
  const session = attributes.sessionId;
  return session === undefined ? undefined : String(session);
}

function pick(flag: CompiledFlag, split: Split, context: EvaluationContext, random: () => number): string {
  const stickiness = stickinessOf(flag, context);
  const bucket =
    stickiness === undefined ? Math.floor(random() * bucketCount) : bucketOf(flag.key, stickiness);
  for (const slice of split) if (bucket < slice.below) return slice.variant;
  return flag.defaultVariant;
}

function splitOf(rollout: Rollout): Split {
  let below = 0;
  return Object.entries(rollout).map(([variant, share]) => {
    below += Math.round(share * 100);
    return { variant, below };
  });
}

type Attribute = AttributeValue | readonly string[];

function attributeOf(context: EvaluationContext, name: string): Attribute | undefined {
  const value = context.attributes?.[name];
  if (value === undefined && name === 'targetingKey') return context.targetingKey;
  return value;
}

function conditionTest(condition: Condition): (context: EvaluationContext) => boolean {
  const match = matcher(condition);
  return (context) => {
    const value = attributeOf(context, condition.attribute);
    return value !== undefined && match(value);
  };
}

function matcher(c: Condition): (value: Attribute) => boolean {
  if ('contains' in c)
    return (v) => (typeof v === 'string' || Array.isArray(v) ? v.includes(c.contains) : false);
  const scalar = scalarMatcher(c);
  return (v) => typeof v !== 'object' && scalar(v);
}

/** Operators on one value: a list attribute matches none of them. */
function scalarMatcher(c: Condition): (value: AttributeValue) => boolean {
  if ('equals' in c) return (v) => v === c.equals;
  if ('notEquals' in c) return (v) => v !== c.notEquals;
  if ('in' in c) return (v) => c.in.includes(v);
  if ('notIn' in c) return (v) => !c.notIn.includes(v);
  if ('startsWith' in c) return (v) => typeof v === 'string' && v.startsWith(c.startsWith);
  if ('endsWith' in c) return (v) => typeof v === 'string' && v.endsWith(c.endsWith);
  if ('gt' in c) return (v) => typeof v === 'number' && v > c.gt;
  if ('gte' in c) return (v) => typeof v === 'number' && v >= c.gte;
  if ('lt' in c) return (v) => typeof v === 'number' && v < c.lt;
  if ('lte' in c) return (v) => typeof v === 'number' && v <= c.lte;
  return () => false;
}
