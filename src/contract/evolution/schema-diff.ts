import type { JsonSchema } from '../snapshot.js';
import { change, type Change, type ChangeKind } from './rules.js';
import {
  annotationKeywords,
  canonical,
  describeShape,
  enumFitsKind,
  knownKeywords,
  lowerBounds,
  shapeOf,
  show,
  upperBounds,
  type Shape,
} from './schema-shape.js';

/**
 * Who reads the schema. A request is written by clients and read by the owner, so it may widen; a
 * response is written by the owner and read by others, so it may narrow.
 */
export type Direction = 'request' | 'response';

export interface SchemaDiffOptions {
  readonly direction: Direction;
  /** Where the schema sits, e.g. `operations.createOrder.input`. */
  readonly location: string;
}

type Effect = 'narrowed' | 'widened' | 'changed';

/** Every difference between two versions of one schema, judged for its direction. */
export function diffSchema(old: JsonSchema, next: JsonSchema, options: SchemaDiffOptions): Change[] {
  const changes: Change[] = [];
  walk(old, next, options.location, { direction: options.direction, out: changes });
  return changes;
}

interface Walk {
  readonly direction: Direction;
  readonly out: Change[];
}

function emit(w: Walk, suffix: string, at: string, message: string): void {
  w.out.push(change(`${w.direction}-${suffix}` as ChangeKind, at, message));
}

function constraint(w: Walk, effect: Effect, at: string, message: string): void {
  emit(w, `constraint-${effect}`, at, message);
}

function walk(oldSchema: JsonSchema, nextSchema: JsonSchema, at: string, w: Walk): void {
  const a = shapeOf(oldSchema);
  const b = shapeOf(nextSchema);
  if (a.nullable !== b.nullable)
    emit(
      w,
      b.nullable ? 'nullable-added' : 'nullable-removed',
      at,
      b.nullable ? 'now accepts null' : 'no longer null',
    );
  if (a.kind === b.kind) sameKind(a, b, at, w);
  else kindChanged(a, b, at, w);
  if (canonical(a.schema.default) !== canonical(b.schema.default))
    emit(w, 'default-changed', at, `default ${show(a.schema.default)} → ${show(b.schema.default)}`);
  const docs = annotationKeywords.filter((key) => canonical(a.schema[key]) !== canonical(b.schema[key]));
  if (docs.length > 0) w.out.push(change('description-changed', at, `${docs.join(', ')} changed`));
}

function kindChanged(a: Shape, b: Shape, at: string, w: Walk): void {
  // An enum of strings and a string are the same type on every wire; only the accepted set moves.
  if (a.kind === 'enum' && enumFitsKind(a.values, b.kind)) {
    constraint(w, 'widened', at, `${describeShape(a)} → any ${b.kind}`);
  } else if (b.kind === 'enum' && enumFitsKind(b.values, a.kind)) {
    constraint(w, 'narrowed', at, `any ${a.kind} → ${describeShape(b)}`);
  } else {
    emit(w, 'type-changed', at, `type ${describeShape(a)} → ${describeShape(b)}`);
  }
}

function sameKind(a: Shape, b: Shape, at: string, w: Walk): void {
  switch (a.kind) {
    case 'enum':
      return enums(a, b, at, w);
    case 'object':
      return objects(a.schema, b.schema, at, w);
    case 'record':
      return records(a.schema, b.schema, at, w);
    case 'array':
      return arrays(a.schema, b.schema, at, w);
    case 'unknown':
      if (canonical(strip(a.schema)) !== canonical(strip(b.schema)))
        emit(w, 'schema-changed', at, 'schema changed in a way the checker does not understand');
      return;
    default:
      return keywords(a, b, at, w);
  }
}

function enums(a: Shape, b: Shape, at: string, w: Walk): void {
  const before = new Map(a.values.map((v) => [canonical(v), v]));
  const after = new Map(b.values.map((v) => [canonical(v), v]));
  for (const [key, value] of before)
    if (!after.has(key)) emit(w, 'enum-value-removed', at, `enum value ${show(value)} removed`);
  for (const [key, value] of after)
    if (!before.has(key)) emit(w, 'enum-value-added', at, `enum value ${show(value)} added`);
}

function objects(a: JsonSchema, b: JsonSchema, at: string, w: Walk): void {
  const before = properties(a);
  const after = properties(b);
  const wasRequired = new Set(requiredOf(a));
  const isRequired = new Set(requiredOf(b));
  for (const name of Object.keys(before))
    if (!(name in after)) emit(w, 'field-removed', `${at}.${name}`, `field ${name} removed`);
  for (const [name, schema] of Object.entries(after)) {
    const field = `${at}.${name}`;
    const previous = before[name];
    if (previous === undefined) {
      const presence = isRequired.has(name) ? 'required' : 'optional';
      if (w.direction === 'response') emit(w, 'field-added', field, `${presence} field ${name} added`);
      else emit(w, `field-${presence}-added`, field, `${presence} field ${name} added`);
      continue;
    }
    if (wasRequired.has(name) !== isRequired.has(name))
      emit(
        w,
        isRequired.has(name) ? 'field-became-required' : 'field-became-optional',
        field,
        `field ${name} became ${isRequired.has(name) ? 'required' : 'optional'}`,
      );
    walk(previous, schema, field, w);
  }
  additionalProperties(a, b, at, w);
  bounds(a, b, at, w);
  unknownKeywords(a, b, at, w);
}

function records(a: JsonSchema, b: JsonSchema, at: string, w: Walk): void {
  const before = patternProperties(a);
  const after = patternProperties(b);
  const [onlyBefore] = Object.keys(before);
  const [onlyAfter] = Object.keys(after);
  if (Object.keys(before).length === 1 && Object.keys(after).length === 1 && onlyBefore && onlyAfter) {
    if (onlyBefore !== onlyAfter)
      constraint(w, 'changed', at, `key pattern ${show(onlyBefore)} → ${show(onlyAfter)}`);
    walk(before[onlyBefore]!, after[onlyAfter]!, `${at}{}`, w);
  } else if (canonical(before) !== canonical(after)) {
    emit(w, 'schema-changed', at, 'pattern properties changed');
  }
  additionalProperties(a, b, at, w);
  bounds(a, b, at, w);
  unknownKeywords(a, b, at, w);
}

function arrays(a: JsonSchema, b: JsonSchema, at: string, w: Walk): void {
  const itemsA = a.items;
  const itemsB = b.items;
  if (isSchema(itemsA) && isSchema(itemsB)) walk(itemsA, itemsB, `${at}[]`, w);
  else if (canonical(itemsA) !== canonical(itemsB))
    emit(w, 'schema-changed', `${at}[]`, 'array items changed');
  if (Boolean(a.uniqueItems) !== Boolean(b.uniqueItems))
    constraint(
      w,
      b.uniqueItems ? 'narrowed' : 'widened',
      at,
      `uniqueItems ${Boolean(a.uniqueItems)} → ${Boolean(b.uniqueItems)}`,
    );
  bounds(a, b, at, w);
  unknownKeywords(a, b, at, w);
}

/** Scalars (and an enum swapped for its scalar): bounds, pattern, format, multipleOf. */
function keywords(a: Shape, b: Shape, at: string, w: Walk): void {
  bounds(a.schema, b.schema, at, w);
  for (const key of ['pattern', 'format'] as const) {
    const before = a.schema[key];
    const after = b.schema[key];
    if (canonical(before) === canonical(after)) continue;
    const effect = before === undefined ? 'narrowed' : after === undefined ? 'widened' : 'changed';
    constraint(w, effect, at, `${key} ${show(before)} → ${show(after)}`);
  }
  multipleOf(a.schema.multipleOf, b.schema.multipleOf, at, w);
  unknownKeywords(a.schema, b.schema, at, w);
}

function bounds(a: JsonSchema, b: JsonSchema, at: string, w: Walk): void {
  for (const [keys, lower] of [
    [lowerBounds, true],
    [upperBounds, false],
  ] as const) {
    for (const key of keys) {
      const before = a[key];
      const after = b[key];
      if (canonical(before) === canonical(after)) continue;
      constraint(w, boundEffect(before, after, lower), at, `${key} ${show(before)} → ${show(after)}`);
    }
  }
}

function boundEffect(before: unknown, after: unknown, lower: boolean): Effect {
  if (before === undefined) return 'narrowed';
  if (after === undefined) return 'widened';
  // Draft-4 style boolean exclusive bounds and other oddities: neither wider nor narrower.
  if (typeof before !== 'number' || typeof after !== 'number') return 'changed';
  return after > before === lower ? 'narrowed' : 'widened';
}

function multipleOf(before: unknown, after: unknown, at: string, w: Walk): void {
  if (before === after) return;
  let effect: Effect = 'changed';
  if (before === undefined) effect = 'narrowed';
  else if (after === undefined) effect = 'widened';
  else if (typeof before === 'number' && typeof after === 'number') {
    if (Number.isInteger(after / before)) effect = 'narrowed';
    else if (Number.isInteger(before / after)) effect = 'widened';
  }
  constraint(w, effect, at, `multipleOf ${show(before)} → ${show(after)}`);
}

function additionalProperties(a: JsonSchema, b: JsonSchema, at: string, w: Walk): void {
  const before = a.additionalProperties;
  const after = b.additionalProperties;
  if (canonical(before) === canonical(after)) return;
  const open = (value: unknown) => value === undefined || value === true;
  const effect: Effect =
    open(before) && after === false ? 'narrowed' : before === false && open(after) ? 'widened' : 'changed';
  constraint(w, effect, at, `additionalProperties ${show(before)} → ${show(after)}`);
}

/** Keywords the differ does not model: any difference is reported, and judged breaking to be safe. */
function unknownKeywords(a: JsonSchema, b: JsonSchema, at: string, w: Walk): void {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)].filter((key) => !knownKeywords.has(key)));
  const changed = [...keys].filter((key) => canonical(a[key]) !== canonical(b[key])).sort();
  if (changed.length > 0) emit(w, 'schema-changed', at, `${changed.join(', ')} changed`);
}

function strip(schema: JsonSchema): JsonSchema {
  const rest: JsonSchema = { ...schema };
  for (const key of [...annotationKeywords, 'default']) delete rest[key];
  return rest;
}

function properties(schema: JsonSchema): Record<string, JsonSchema> {
  return isSchema(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};
}

function patternProperties(schema: JsonSchema): Record<string, JsonSchema> {
  return isSchema(schema.patternProperties) ? (schema.patternProperties as Record<string, JsonSchema>) : {};
}

function requiredOf(schema: JsonSchema): string[] {
  return Array.isArray(schema.required) ? (schema.required as string[]) : [];
}

function isSchema(value: unknown): value is JsonSchema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
