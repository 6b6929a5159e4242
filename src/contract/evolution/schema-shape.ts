import type { JsonSchema } from '../snapshot.js';

/**
 * A JSON Schema reduced to what compatibility depends on. Contracts are TypeBox, so schemas come in
 * a few shapes (proto-compat.ts allows nothing else); hand-written snapshots may also use `enum`
 * and `type: [T, 'null']`, which normalise to the same shapes.
 */
export type ShapeKind =
  | 'object'
  | 'record'
  | 'array'
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'null'
  | 'bytes'
  | 'enum'
  | 'unknown';

export interface Shape {
  readonly kind: ShapeKind;
  /** The schema with any `| null` taken off; keywords of the wrapping union are merged in. */
  readonly schema: JsonSchema;
  readonly nullable: boolean;
  /** For enums (`const`, `enum`, or a union of literals): the allowed values. */
  readonly values: readonly unknown[];
}

/** Keywords that only document; changing them is a patch. */
export const annotationKeywords = [
  'description',
  'title',
  'examples',
  '$comment',
  '$id',
  'deprecated',
  'readOnly',
  'writeOnly',
];

/** Lower bounds: raising one accepts less. */
export const lowerBounds = [
  'minLength',
  'minimum',
  'exclusiveMinimum',
  'minItems',
  'minProperties',
  'minByteLength',
];
/** Upper bounds: lowering one accepts less. */
export const upperBounds = [
  'maxLength',
  'maximum',
  'exclusiveMaximum',
  'maxItems',
  'maxProperties',
  'maxByteLength',
];

/** Every keyword the differ understands; a change to any other keyword is reported as unknown. */
export const knownKeywords = new Set([
  ...annotationKeywords,
  ...lowerBounds,
  ...upperBounds,
  'type',
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'items',
  'anyOf',
  'const',
  'enum',
  'pattern',
  'format',
  'multipleOf',
  'uniqueItems',
  'default',
]);

export function shapeOf(schema: JsonSchema): Shape {
  const { schema: inner, nullable } = unwrapNullable(schema);
  const values = enumValues(inner);
  if (values) return { kind: 'enum', schema: inner, nullable, values };
  return { kind: scalarKind(inner), schema: inner, nullable, values: [] };
}

function unwrapNullable(schema: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  const { anyOf, type, ...rest } = schema;
  if (Array.isArray(anyOf)) {
    const members = anyOf as JsonSchema[];
    const others = members.filter((member) => member.type !== 'null');
    if (others.length === members.length || others.length === 0) return { schema, nullable: false };
    const inner = others.length === 1 ? others[0]! : { anyOf: others };
    return { schema: { ...rest, ...(type === undefined ? {} : { type }), ...inner }, nullable: true };
  }
  if (Array.isArray(type) && type.includes('null')) {
    const others = type.filter((t) => t !== 'null');
    return { schema: { ...rest, type: others.length === 1 ? others[0] : others }, nullable: true };
  }
  return { schema, nullable: false };
}

function enumValues(schema: JsonSchema): unknown[] | undefined {
  if ('const' in schema) return [schema.const];
  if (Array.isArray(schema.enum)) return schema.enum as unknown[];
  if (!Array.isArray(schema.anyOf)) return undefined;
  const values: unknown[] = [];
  for (const member of schema.anyOf as JsonSchema[]) {
    const own = enumValues(member);
    if (!own) return undefined;
    values.push(...own);
  }
  return values;
}

function scalarKind(schema: JsonSchema): ShapeKind {
  switch (schema.type) {
    case 'object':
      return schema.patternProperties === undefined ? 'object' : 'record';
    case 'array':
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
    case 'null':
      return schema.type;
    case 'Uint8Array':
      return 'bytes';
    default:
      return 'unknown';
  }
}

/** Whether an enum is a subset of the scalar kind (so swapping one for the other is a constraint change). */
export function enumFitsKind(values: readonly unknown[], kind: ShapeKind): boolean {
  return values.every((value) => {
    if (kind === 'string') return typeof value === 'string';
    if (kind === 'boolean') return typeof value === 'boolean';
    if (kind === 'number') return typeof value === 'number';
    if (kind === 'integer') return Number.isInteger(value);
    return false;
  });
}

export function describeShape(shape: Shape): string {
  if (shape.kind !== 'enum') return shape.kind;
  return `enum ${shape.values.map(show).join(' | ')}`;
}

/** JSON with sorted keys, so equal schemas compare equal whatever order TypeBox wrote them in. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function show(value: unknown): string {
  return value === undefined ? 'none' : JSON.stringify(value);
}
