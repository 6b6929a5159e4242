import { SwitchyardError, type Violation } from '../errors/index.js';
import { operators, type FlagDefinition, type FlagDocument } from './types.js';

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const flagFields = new Set([
  'description',
  'enabled',
  'variants',
  'defaultVariant',
  'rules',
  'rollout',
  'stickiness',
]);
export const defaultVariants = { on: true, off: false } as const;

type Check = (ok: boolean, path: string, rule: string, message: string) => boolean;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown) =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/**
 * Validates a flag document (a file's content or a hub PUT body). Every problem is reported at once,
 * each with a JSON pointer, as INVALID_ARGUMENT violations; nothing half-valid is ever served.
 */
export function parseFlagDocument(value: unknown): FlagDocument {
  const violations: Violation[] = [];
  const check: Check = (ok, path, rule, message) => (ok || violations.push({ path, rule, message }), ok);
  if (check(isObject(value) && isObject(value.flags), '/flags', 'type', 'Expected an object of flags')) {
    for (const [key, def] of Object.entries((value as { flags: Record<string, unknown> }).flags))
      checkFlag(key, def, `/flags/${escape(key)}`, check);
  }
  throwIfAny(violations, 'invalid flag document');
  return value as FlagDocument;
}

/** One flag, as `PUT /v1/flags/:key` receives it. */
export function parseFlagDefinition(key: string, value: unknown): FlagDefinition {
  const violations: Violation[] = [];
  const check: Check = (ok, path, rule, message) => (ok || violations.push({ path, rule, message }), ok);
  checkFlag(key, value, '', check);
  throwIfAny(violations, `invalid flag ${key}`);
  return value as FlagDefinition;
}

function throwIfAny(violations: Violation[], what: string) {
  if (violations.length === 0) return;
  const summary = violations
    .slice(0, 3)
    .map((v) => `${v.path || '/'}: ${v.message}`)
    .join('; ');
  throw new SwitchyardError('INVALID_ARGUMENT', `${what}: ${summary}`, { details: { violations } });
}

function checkFlag(key: string, def: unknown, at: string, check: Check) {
  check(
    namePattern.test(key),
    at || '/',
    'pattern',
    `Flag key ${JSON.stringify(key)} must match ${namePattern}`,
  );
  if (!check(isObject(def), at || '/', 'type', 'Expected a flag definition object')) return;
  const flag = def as Record<string, unknown>;
  for (const field of Object.keys(flag))
    check(flagFields.has(field), `${at}/${escape(field)}`, 'unknown', 'Unknown field');
  if (flag.description !== undefined)
    check(typeof flag.description === 'string', `${at}/description`, 'type', 'Expected a string');
  if (flag.enabled !== undefined)
    check(typeof flag.enabled === 'boolean', `${at}/enabled`, 'type', 'Expected a boolean');
  if (flag.stickiness !== undefined)
    check(
      typeof flag.stickiness === 'string' && flag.stickiness !== '',
      `${at}/stickiness`,
      'type',
      'Expected an attribute name',
    );

  let variants: Record<string, unknown> = defaultVariants;
  if (flag.variants !== undefined) {
    const ok = check(
      isObject(flag.variants) && Object.keys(flag.variants).length > 0,
      `${at}/variants`,
      'type',
      'Expected an object of at least one variant',
    );
    variants = ok ? (flag.variants as Record<string, unknown>) : {};
    const kinds = new Set<string>();
    for (const [name, value] of Object.entries(variants)) {
      const path = `${at}/variants/${escape(name)}`;
      check(namePattern.test(name), path, 'pattern', `Variant name must match ${namePattern}`);
      const object = typeof value === 'object' && value !== null;
      if (check(isScalar(value) || object, path, 'type', 'Expected a boolean, string, number or object'))
        kinds.add(object ? 'object' : typeof value);
    }
    check(kinds.size <= 1, `${at}/variants`, 'type', 'Every variant must have the same type of value');
  }
  const isVariant = (name: unknown) => typeof name === 'string' && Object.hasOwn(variants, name);
  const defaultVariant = flag.defaultVariant ?? 'off';
  check(
    isVariant(defaultVariant),
    `${at}/defaultVariant`,
    'variant',
    `No variant named ${JSON.stringify(defaultVariant)}`,
  );
  if (flag.rollout !== undefined) checkRollout(flag.rollout, `${at}/rollout`, isVariant, check);

  if (flag.rules === undefined) return;
  if (!check(Array.isArray(flag.rules), `${at}/rules`, 'type', 'Expected a list of rules')) return;
  (flag.rules as unknown[]).forEach((value, i) => {
    const path = `${at}/rules/${i}`;
    if (!check(isObject(value), path, 'type', 'Expected a rule object')) return;
    const rule = value as Record<string, unknown>;
    for (const field of Object.keys(rule))
      check(
        ['when', 'variant', 'rollout'].includes(field),
        `${path}/${escape(field)}`,
        'unknown',
        'Unknown field',
      );
    if (check(Array.isArray(rule.when), `${path}/when`, 'type', 'Expected a list of conditions'))
      (rule.when as unknown[]).forEach((c, j) => checkCondition(c, `${path}/when/${j}`, check));
    const one = (rule.variant === undefined) !== (rule.rollout === undefined);
    if (!check(one, path, 'oneOf', 'Name a variant or a rollout')) return;
    if (rule.variant !== undefined)
      check(
        isVariant(rule.variant),
        `${path}/variant`,
        'variant',
        `No variant named ${JSON.stringify(rule.variant)}`,
      );
    else checkRollout(rule.rollout, `${path}/rollout`, isVariant, check);
  });
}

function checkCondition(value: unknown, path: string, check: Check) {
  if (!check(isObject(value), path, 'type', 'Expected a condition object')) return;
  const condition = value as Record<string, unknown>;
  check(
    typeof condition.attribute === 'string' && condition.attribute !== '',
    `${path}/attribute`,
    'type',
    'Expected an attribute name',
  );
  const named = Object.keys(condition).filter((k) => k !== 'attribute');
  if (
    !check(
      named.length === 1 && (operators as readonly string[]).includes(named[0]!),
      path,
      'oneOf',
      `Use exactly one of ${operators.join(', ')}`,
    )
  )
    return;
  const op = named[0]!;
  const operand = condition[op];
  const at = `${path}/${op}`;
  if (op === 'equals' || op === 'notEquals')
    check(isScalar(operand), at, 'type', 'Expected a string, number or boolean');
  else if (op === 'in' || op === 'notIn')
    check(
      Array.isArray(operand) && operand.length > 0 && operand.every(isScalar),
      at,
      'type',
      'Expected a non-empty list of values',
    );
  else if (op === 'startsWith' || op === 'endsWith' || op === 'contains')
    check(typeof operand === 'string', at, 'type', 'Expected a string');
  else check(typeof operand === 'number' && Number.isFinite(operand), at, 'type', 'Expected a number');
}

function checkRollout(value: unknown, path: string, isVariant: (name: unknown) => boolean, check: Check) {
  if (!check(isObject(value) && Object.keys(value).length > 0, path, 'type', 'Expected variant → percentage'))
    return;
  let total = 0;
  for (const [name, share] of Object.entries(value as Record<string, unknown>)) {
    const at = `${path}/${escape(name)}`;
    check(isVariant(name), at, 'variant', `No variant named ${JSON.stringify(name)}`);
    const ok =
      typeof share === 'number' &&
      share >= 0 &&
      share <= 100 &&
      Math.abs(share * 100 - Math.round(share * 100)) < 1e-6;
    if (check(ok, at, 'range', 'Expected a percentage from 0 to 100 with at most two decimals'))
      total += share as number;
  }
  check(total <= 100 + 1e-9, path, 'range', `Percentages add up to ${total}, more than 100`);
}

/** JSON pointer escaping of one path segment (RFC 6901). */
function escape(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}
