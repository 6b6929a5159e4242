import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Value } from '@sinclair/typebox/value';
import { Type, type TSchema } from '@sinclair/typebox';
import { OrdersContract } from '../fixtures/orders.contract.js';
import { protoRoots } from '../../src/contract/proto-numbering.js';
import { arbitraryFor } from './arbitrary.js';

const schemas: Record<string, TSchema> = {
  string: Type.String(),
  boundedString: Type.String({ minLength: 3, maxLength: 3 }),
  longString: Type.String({ minLength: 5, maxLength: 40 }),
  pattern: Type.String({ pattern: '^[a-z]{2}-[0-9]+$' }),
  number: Type.Number(),
  boundedNumber: Type.Number({ minimum: -1.5, maximum: 2.5 }),
  exclusiveNumber: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
  integer: Type.Integer(),
  boundedInteger: Type.Integer({ minimum: 1, maximum: 100 }),
  exclusiveInteger: Type.Integer({ exclusiveMinimum: 0, exclusiveMaximum: 3 }),
  hugeInteger: Type.Integer({ minimum: 2 ** 40 }),
  boolean: Type.Boolean(),
  literal: Type.Literal('PENDING'),
  enum: Type.Union([Type.Literal('a'), Type.Literal('b'), Type.Literal(3)]),
  nullable: Type.Union([Type.String(), Type.Null()]),
  union: Type.Union([Type.String(), Type.Integer()]),
  array: Type.Array(Type.Integer(), { minItems: 2, maxItems: 4 }),
  record: Type.Record(Type.String(), Type.Boolean()),
  numericRecord: Type.Record(Type.Number(), Type.String()),
  bytes: Type.Uint8Array({ minByteLength: 1, maxByteLength: 8 }),
  object: Type.Object({
    id: Type.String(),
    note: Type.Optional(Type.String()),
    nested: Type.Optional(Type.Object({ list: Type.Array(Type.Union([Type.Integer(), Type.Null()])) })),
  }),
};

describe('arbitraryFor', () => {
  const all = {
    ...schemas,
    ...Object.fromEntries(protoRoots(OrdersContract).map((r) => [r.name, r.schema])),
  };
  for (const [name, schema] of Object.entries(all))
    it(`generates only values valid for ${name}`, () => {
      fc.assert(
        fc.property(arbitraryFor(schema), (value) =>
          assert.ok(Value.Check(schema, value), JSON.stringify(value)),
        ),
      );
    });

  it('keeps integers within ±2^53 and numbers finite, without -0', () => {
    for (const value of fc.sample(arbitraryFor(Type.Integer()), 500)) assert.ok(Number.isSafeInteger(value));
    for (const value of fc.sample(arbitraryFor(Type.Number()), 500)) {
      assert.ok(Number.isFinite(value) && !Object.is(value, -0));
    }
  });

  it('sometimes leaves optional properties out, and sometimes fills them in', () => {
    const values = fc.sample(arbitraryFor(schemas.object!), 200) as Record<string, unknown>[];
    assert.ok(values.some((v) => 'note' in v));
    assert.ok(values.some((v) => !('note' in v)));
    assert.ok(values.every((v) => 'id' in v));
  });

  it('generates strings beyond ASCII, never with lone surrogates', () => {
    const values = fc.sample(arbitraryFor(Type.String()), 1000) as string[];
    assert.ok(values.some((s) => /[\u0080-\uffff]/.test(s)));
    assert.ok(
      values.some((s) => /[\ud800-\udbff][\udc00-\udfff]/.test(s)),
      'some characters outside the BMP',
    );
    assert.ok(
      values.every((s) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)),
    );
  });

  it('refuses schemas it cannot generate for', () => {
    assert.throws(() => arbitraryFor(Type.Date()));
  });
});
