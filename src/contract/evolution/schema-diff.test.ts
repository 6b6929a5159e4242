import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contract } from '../define.js';
import { toSnapshot } from '../snapshot.js';
import type { JsonSchema } from '../snapshot.js';
import { diffContracts } from './diff.js';
import { changeKinds } from './rules.js';
import { diffSchema, type Direction } from './schema-diff.js';

// Hand-written JSON Schema: what snapshots from other tools, or TypeBox options the table does not
// reach, look like.
const obj = (properties: Record<string, JsonSchema>, extra: JsonSchema = {}): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  ...extra,
});

function kinds(direction: Direction, a: JsonSchema, b: JsonSchema): string[] {
  return diffSchema(a, b, { direction, location: 'x' }).map((c) => `${c.kind} ${c.location}`);
}

const cases: [name: string, direction: Direction, a: JsonSchema, b: JsonSchema, expected: string[]][] = [
  [
    'multipleOf finer',
    'request',
    { type: 'number', multipleOf: 10 },
    { type: 'number', multipleOf: 5 },
    ['request-constraint-widened x'],
  ],
  [
    'multipleOf coarser',
    'request',
    { type: 'number', multipleOf: 5 },
    { type: 'number', multipleOf: 10 },
    ['request-constraint-narrowed x'],
  ],
  [
    'multipleOf unrelated',
    'response',
    { type: 'number', multipleOf: 3 },
    { type: 'number', multipleOf: 5 },
    ['response-constraint-changed x'],
  ],
  [
    'exclusiveMinimum raised',
    'request',
    { type: 'number', exclusiveMinimum: 0 },
    { type: 'number', exclusiveMinimum: 1 },
    ['request-constraint-narrowed x'],
  ],
  [
    'exclusiveMaximum raised in a response',
    'response',
    { type: 'number', exclusiveMaximum: 1 },
    { type: 'number', exclusiveMaximum: 2 },
    ['response-constraint-widened x'],
  ],
  [
    'draft-4 boolean bound',
    'request',
    { type: 'number', minimum: 0, exclusiveMinimum: false },
    { type: 'number', minimum: 0, exclusiveMinimum: true },
    ['request-constraint-changed x'],
  ],
  [
    'format replaced',
    'response',
    { type: 'string', format: 'date' },
    { type: 'string', format: 'date-time' },
    ['response-constraint-changed x'],
  ],
  [
    'pattern removed from a response',
    'response',
    { type: 'string', pattern: '^a' },
    { type: 'string' },
    ['response-constraint-widened x'],
  ],
  [
    'uniqueItems added',
    'request',
    { type: 'array', items: { type: 'string' } },
    { type: 'array', items: { type: 'string' }, uniqueItems: true },
    ['request-constraint-narrowed x'],
  ],
  [
    'tuple items changed',
    'request',
    { type: 'array', items: [{ type: 'string' }] },
    { type: 'array', items: [{ type: 'number' }] },
    ['request-schema-changed x[]'],
  ],
  [
    'JSON enum keyword',
    'response',
    { type: 'string', enum: ['a', 'b'] },
    { type: 'string', enum: ['a', 'b', 'c'] },
    ['response-enum-value-added x'],
  ],
  [
    'type array with null',
    'response',
    { type: 'string' },
    { type: ['string', 'null'] },
    ['response-nullable-added x'],
  ],
  [
    'nullable enum keeps its values',
    'request',
    { anyOf: [{ const: 'a' }, { const: 'b' }, { type: 'null' }] },
    { anyOf: [{ const: 'a' }, { type: 'null' }] },
    ['request-enum-value-removed x'],
  ],
  [
    'object → record',
    'request',
    obj({ a: { type: 'string' } }),
    { type: 'object', patternProperties: { '^(.*)$': { type: 'string' } } },
    ['request-type-changed x'],
  ],
  [
    'record key pattern changed',
    'request',
    { type: 'object', patternProperties: { '^(.*)$': { type: 'string' } } },
    { type: 'object', patternProperties: { '^[a-z]+$': { type: 'string' } } },
    ['request-constraint-changed x'],
  ],
  [
    'additionalProperties closed on a request',
    'request',
    obj({ a: { type: 'string' } }),
    obj({ a: { type: 'string' } }, { additionalProperties: false }),
    ['request-constraint-narrowed x'],
  ],
  [
    'additionalProperties given a schema',
    'response',
    obj({}, { additionalProperties: false }),
    obj({}, { additionalProperties: { type: 'string' } }),
    ['response-constraint-changed x'],
  ],
  [
    'bytes length bound',
    'request',
    { type: 'Uint8Array' },
    { type: 'Uint8Array', maxByteLength: 10 },
    ['request-constraint-narrowed x'],
  ],
  [
    'unknown keyword',
    'response',
    { type: 'string', contentEncoding: 'base64' },
    { type: 'string', contentEncoding: 'base32' },
    ['response-schema-changed x'],
  ],
  [
    'schema of no known type',
    'request',
    { not: { type: 'string' } },
    { not: { type: 'number' } },
    ['request-schema-changed x'],
  ],
  [
    'integer → number is a type change',
    'request',
    { type: 'integer' },
    { type: 'number' },
    ['request-type-changed x'],
  ],
  [
    'string → enum narrows a request',
    'request',
    { type: 'string' },
    { anyOf: [{ const: 'a', type: 'string' }] },
    ['request-constraint-narrowed x'],
  ],
  [
    'string → enum narrows a response (fine)',
    'response',
    { type: 'string' },
    { const: 'a', type: 'string' },
    ['response-constraint-narrowed x'],
  ],
  [
    'key order does not matter',
    'request',
    { type: 'string', minLength: 1, maxLength: 2 },
    { maxLength: 2, minLength: 1, type: 'string' },
    [],
  ],
  [
    'title and examples are documentation',
    'request',
    { type: 'string', title: 'a' },
    { type: 'string', title: 'b', examples: ['x'] },
    ['description-changed x'],
  ],
];

for (const [name, direction, a, b, expected] of cases)
  test(`schema: ${name}`, () => assert.deepEqual(kinds(direction, a, b), expected));

test('every change kind has a class and a description', () => {
  for (const [kind, info] of Object.entries(changeKinds)) {
    assert.ok(['breaking', 'non-breaking', 'patch'].includes(info.class), kind);
    assert.ok(info.description.length > 10, kind);
  }
});

test('a request and a response judge the same change oppositely', () => {
  const a = { type: 'string', maxLength: 5 };
  const b = { type: 'string', maxLength: 9 };
  const [req] = diffSchema(a, b, { direction: 'request', location: 'x' });
  const [res] = diffSchema(a, b, { direction: 'response', location: 'x' });
  assert.equal(req?.class, 'non-breaking');
  assert.equal(res?.class, 'breaking');
});

test('contract renamed; deprecation moved', () => {
  const one = contract({
    name: 'orders',
    version: '1.0.0',
    deprecated: { since: '2026-01-01', sunset: '2027-01-01' },
  });
  const two = contract({
    name: 'purchases',
    version: '1.0.0',
    protoPackage: one.protoPackage,
    deprecated: { since: '2026-01-01', sunset: '2028-01-01' },
  });
  const changes = diffContracts(toSnapshot(one), toSnapshot(two));
  assert.deepEqual(
    changes.map((c) => [c.kind, c.class, c.location]),
    [
      ['contract-renamed', 'breaking', 'name'],
      ['deprecation-changed', 'non-breaking', 'deprecated'],
    ],
  );
});
