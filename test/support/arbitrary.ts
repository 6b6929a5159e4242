import fc from 'fast-check';
import { Kind, Type, type TSchema } from '@sinclair/typebox';

/**
 * Values valid for a TypeBox schema, for property tests. Values are what a JSON body can carry and
 * what every codec must round-trip: finite numbers without `-0` (JSON writes it as `0`), integers
 * within ±2^53, well-formed Unicode strings (MessagePack and protobuf write UTF-8, which has no lone
 * surrogates), plain-prototype objects, and no `__proto__` record keys (the MessagePack decoder
 * rejects them rather than risk setting a prototype).
 */
export function arbitraryFor(schema: TSchema): fc.Arbitrary<unknown> {
  switch (schema[Kind]) {
    case 'String':
      return stringFor(schema);
    case 'Number':
      return numberFor(schema);
    case 'Integer':
      return integerFor(schema);
    case 'Boolean':
      return fc.boolean();
    case 'Null':
      return fc.constant(null);
    case 'Literal':
      return fc.constant(schema.const as unknown);
    case 'Union':
      return unionFor(schema.anyOf as TSchema[]);
    case 'Array':
      return fc.array(arbitraryFor(schema.items as TSchema), lengths(schema.minItems, schema.maxItems));
    case 'Object':
      return objectFor(schema);
    case 'Record':
      return recordFor(schema);
    case 'Uint8Array':
      return fc.uint8Array(lengths(schema.minByteLength, schema.maxByteLength));
    default:
      throw new Error(`arbitraryFor: schema kind ${String(schema[Kind])} is not supported`);
  }
}

function lengths(min: unknown, max: unknown): { minLength?: number; maxLength?: number } {
  return {
    ...(typeof min === 'number' ? { minLength: min } : {}),
    ...(typeof max === 'number' ? { maxLength: max } : {}),
  };
}

const isSurrogate = (code: number) => code >= 0xd800 && code <= 0xdfff;

/** One UTF-16 code unit, mostly ASCII, never half a surrogate pair. */
const codeUnit = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).filter((code) => !isSurrogate(code)) },
);

/** Any code point, including those outside the BMP (two code units). */
const codePoint = fc.oneof(
  { weight: 4, arbitrary: codeUnit },
  { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }) },
);

function stringFor(schema: TSchema): fc.Arbitrary<string> {
  if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern));
  if (schema.format !== undefined) throw new Error('arbitraryFor: string formats are not supported');
  // `minLength`/`maxLength` count UTF-16 code units, so bounded strings use single-unit characters.
  const unit = schema.maxLength === undefined ? codePoint : codeUnit;
  return fc
    .array(unit, lengths(schema.minLength, schema.maxLength))
    .map((codes) => String.fromCodePoint(...codes));
}

function numberFor(schema: TSchema): fc.Arbitrary<number> {
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema as Record<
    string,
    number | undefined
  >;
  const lower =
    exclusiveMinimum !== undefined && (minimum === undefined || exclusiveMinimum >= minimum)
      ? { min: exclusiveMinimum, minExcluded: true }
      : minimum === undefined
        ? {}
        : { min: minimum };
  const upper =
    exclusiveMaximum !== undefined && (maximum === undefined || exclusiveMaximum <= maximum)
      ? { max: exclusiveMaximum, maxExcluded: true }
      : maximum === undefined
        ? {}
        : { max: maximum };
  return fc
    .double({ noNaN: true, noDefaultInfinity: true, ...lower, ...upper })
    .map((n) => (Object.is(n, -0) ? 0 : n));
}

function integerFor(schema: TSchema): fc.Arbitrary<number> {
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema as Record<
    string,
    number | undefined
  >;
  const min = Math.max(
    Number.MIN_SAFE_INTEGER,
    minimum ?? Number.MIN_SAFE_INTEGER,
    exclusiveMinimum === undefined ? Number.MIN_SAFE_INTEGER : Math.floor(exclusiveMinimum) + 1,
  );
  const max = Math.min(
    Number.MAX_SAFE_INTEGER,
    maximum ?? Number.MAX_SAFE_INTEGER,
    exclusiveMaximum === undefined ? Number.MAX_SAFE_INTEGER : Math.ceil(exclusiveMaximum) - 1,
  );
  const full = fc.integer({ min, max });
  if (min > 1000 || max < -1000) return full;
  // Small values are the common case; the full range reaches int64 encodings of more than 32 bits.
  return fc.oneof(fc.integer({ min: Math.max(min, -1000), max: Math.min(max, 1000) }), full);
}

function unionFor(members: TSchema[]): fc.Arbitrary<unknown> {
  if (members.every((m) => m[Kind] === 'Literal'))
    return fc.constantFrom(...members.map((m) => m.const as unknown));
  return fc.oneof(...members.map(arbitraryFor));
}

function objectFor(schema: TSchema): fc.Arbitrary<unknown> {
  const properties = schema.properties as Record<string, TSchema>;
  const model = Object.fromEntries(
    Object.entries(properties).map(([key, value]) => [key, arbitraryFor(value)]),
  );
  // Optional properties are sometimes absent (never present with `undefined`: JSON cannot say that).
  return fc.record(model, {
    requiredKeys: (schema.required as string[] | undefined) ?? [],
    noNullPrototype: true,
  });
}

function recordFor(schema: TSchema): fc.Arbitrary<unknown> {
  const patterns = Object.entries((schema.patternProperties ?? {}) as Record<string, TSchema>);
  const [pattern, valueSchema] = patterns[0] ?? [];
  if (patterns.length !== 1 || pattern === undefined || valueSchema === undefined)
    throw new Error('arbitraryFor: only records with one key pattern are supported');
  const keys = pattern === '^(.*)$' ? stringFor(Type.String()) : fc.stringMatching(new RegExp(pattern));
  return fc.dictionary(
    keys.filter((key) => key !== '__proto__'),
    arbitraryFor(valueSchema),
    {
      noNullPrototype: true,
      ...(typeof schema.minProperties === 'number' ? { minKeys: schema.minProperties } : {}),
      ...(typeof schema.maxProperties === 'number' ? { maxKeys: schema.maxProperties } : {}),
    },
  );
}
