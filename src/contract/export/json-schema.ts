import { Kind, type TObject, type TSchema } from '@sinclair/typebox';
import type { JsonSchema } from '../snapshot.js';
import type { AnyContract, Deprecation } from '../types.js';

export type { JsonSchema };

/**
 * Named schemas of one exported document (`components.schemas` in both OpenAPI and AsyncAPI).
 * A TypeBox schema carrying a user `$id` becomes a component instead of being inlined, because an
 * `$id` repeated at every use would be a URI collision inside one document.
 */
export interface SchemaComponents {
  /** Pointer prefix of a component, e.g. `#/components/schemas/`. */
  readonly refBase: string;
  /** Component name → schema, in the order they were first met (deterministic for a given contract). */
  readonly schemas: Record<string, JsonSchema>;
  /** Adds a schema under a name derived from `base`; an identical schema already there is reused. */
  add(base: string, schema: JsonSchema): JsonSchema;
}

export interface SchemaComponentsOptions {
  refBase?: string;
  /** Names the exporter itself defines (e.g. `Problem`); user schemas never take them. */
  reserved?: readonly string[];
}

export function schemaComponents(options: SchemaComponentsOptions = {}): SchemaComponents {
  const refBase = options.refBase ?? '#/components/schemas/';
  const schemas: Record<string, JsonSchema> = {};
  const reserved = new Set(options.reserved ?? []);
  const taken = new Set(reserved);
  return {
    refBase,
    schemas,
    add(base, schema) {
      // A bare reference is named already; wrapping it would only add a hop.
      if (typeof schema.$ref === 'string' && Object.keys(schema).length === 1) return schema;
      const root = componentName(base);
      const body = JSON.stringify(schema);
      // Same $id and same body (one schema used in several places, or v1 and v2 sharing it): one component.
      for (let n = 1; ; n++) {
        const name = n === 1 ? root : `${root}_${n}`;
        const existing = schemas[name];
        if (existing && JSON.stringify(existing) === body) return { $ref: refBase + name };
        if (!taken.has(name)) {
          taken.add(name);
          schemas[name] = schema;
          return { $ref: refBase + name };
        }
      }
    },
  };
}

/** `https://x.dev/schemas/Money.json` → `Money`; whatever the spec forbids in a component key becomes `_`. */
function componentName(id: string): string {
  const last = id.split(/[/#]/).filter(Boolean).pop() ?? 'Schema';
  return last.replace(/\.json$/, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'Schema';
}

// Keywords whose value is a schema, a list of schemas or a map of schemas. Everything else is data
// (`default`, `const`, `examples`, `enum`…) and is copied verbatim, never walked for `$id`.
const schemaKeywords = new Set([
  'additionalProperties',
  'items',
  'contains',
  'not',
  'if',
  'then',
  'else',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
]);
// `items` is in both: a schema in 2020-12, possibly a list in draft-07 tuples.
const schemaListKeywords = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items']);
const schemaMapKeywords = new Set([
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
]);
/** TypeBox's `Record(Type.String(), T)` key pattern: matches every key, so it says `additionalProperties: T`. */
const anyKeyPattern = '^(.*)$';

export interface CleanOptions {
  /** Where schemas with a user `$id` go; without it, `$id` is dropped and the schema inlined. */
  components?: SchemaComponents;
}

/**
 * A TypeBox schema as plain JSON Schema that is valid both as 2020-12 (OpenAPI 3.1) and as the draft-07
 * dialect AsyncAPI 3.0 uses by default, for every construct a contract accepts: TypeBox symbols and
 * `$id`/`$schema` dropped, `Uint8Array` as a base64 string, `Record<string, T>` as `additionalProperties`.
 */
export function cleanSchema(schema: TSchema, options: CleanOptions = {}): JsonSchema {
  return clean(schema, options.components);
}

function clean(schema: TSchema, components: SchemaComponents | undefined): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$id' || key === '$schema' || value === undefined) continue;
    if (schemaListKeywords.has(key) && Array.isArray(value))
      out[key] = value.map((s: TSchema) => clean(s, components));
    else if (schemaMapKeywords.has(key) && isObject(value))
      out[key] = Object.fromEntries(
        Object.entries(value).map(([k, s]) => [k, clean(s as TSchema, components)]),
      );
    else if (schemaKeywords.has(key) && isObject(value)) out[key] = clean(value as TSchema, components);
    else out[key] = structuredClone(value);
  }
  // The `type` test also catches schemas already through JSON (snapshots), whose Kind symbol is gone.
  if (schema[Kind] === 'Uint8Array' || schema.type === 'Uint8Array') {
    // JSON has no bytes; the JSON codec carries them as base64 (MessagePack as bin).
    delete out.minByteLength;
    delete out.maxByteLength;
    Object.assign(out, { type: 'string', contentEncoding: 'base64' });
  }
  const patterns = out.patternProperties as Record<string, JsonSchema> | undefined;
  if (patterns && Object.keys(patterns).length === 1 && patterns[anyKeyPattern]) {
    out.additionalProperties = patterns[anyKeyPattern];
    delete out.patternProperties;
  }
  const id = schema.$id;
  return typeof id === 'string' && components ? components.add(id, out) : out;
}

/**
 * The object schema without some properties (path parameters lifted out of a request body). It is a
 * new schema, so the original's `$id` does not apply to it.
 */
export function omitProperties(
  schema: TObject,
  omit: readonly string[],
  options: CleanOptions = {},
): JsonSchema {
  const { $id: _id, properties, required, ...rest } = schema;
  const kept = Object.fromEntries(Object.entries(properties).filter(([name]) => !omit.includes(name)));
  const stillRequired = (required ?? []).filter((name) => !omit.includes(name));
  const body = {
    ...rest,
    properties: kept,
    ...(stillRequired.length > 0 ? { required: stillRequired } : {}),
  };
  return cleanSchema(body as TSchema, options);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What applies to one operation or message: its own deprecation, or its contract's (a deprecated
 * contract deprecates everything in it). The earlier sunset wins, since whichever comes first ends service.
 */
export function effectiveDeprecation(
  contract: AnyContract,
  own: Deprecation | undefined,
): Deprecation | undefined {
  const outer = contract.deprecated;
  if (!own || !outer) return own ?? outer;
  const sunsets = [own.sunset, outer.sunset].filter((s): s is string => s !== undefined);
  const sunset = sunsets.sort((a, b) => Date.parse(a) - Date.parse(b))[0];
  return { ...own, ...(sunset === undefined ? {} : { sunset }) };
}

/** A human sentence for documents whose readers never see the `x-` fields. */
export function deprecationNote(deprecation: Deprecation): string {
  const parts = [`Deprecated since ${deprecation.since}`];
  if (deprecation.sunset) parts.push(`; removed after ${deprecation.sunset}`);
  parts.push('.');
  if (deprecation.message) parts.push(` ${deprecation.message}`);
  return parts.join('');
}

/** Joins description paragraphs, skipping absent ones; undefined when there are none. */
export function paragraphs(...texts: (string | undefined)[]): string | undefined {
  const present = texts.filter((t): t is string => t !== undefined && t !== '');
  return present.length === 0 ? undefined : present.join('\n\n');
}

export function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** `order-history` → `orderHistory`. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Returns `base`, or `base_2`, `base_3`… whichever is not in `taken` yet, and claims it. */
export function claimName(taken: Set<string>, base: string): string {
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}_${n}`;
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

/** The same entries with keys in code-unit order, so a document's diff shows changes rather than reordering. */
export function sortedByKey<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, record[key]!]),
  );
}
