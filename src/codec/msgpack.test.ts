import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Type } from '@sinclair/typebox';
import { arbitraryFor } from '../../test/support/arbitrary.js';
import { OrdersContract } from '../../test/fixtures/orders.contract.js';
import { protoRoots } from '../contract/proto-numbering.js';
import { SwitchyardError } from '../errors/index.js';
import { msgpack } from './msgpack.js';

const invalid = (error: unknown) =>
  SwitchyardError.is(error, 'INVALID_ARGUMENT') && error.message.startsWith('malformed MessagePack: ');

/** What JSON cannot carry and MessagePack can: bytes, and the edges of the numeric ranges. */
const binary = Type.Object({
  blob: Type.Uint8Array(),
  chunks: Type.Array(Type.Uint8Array({ maxByteLength: 16 })),
  big: Type.Integer(),
  ratio: Type.Number(),
  maybe: Type.Union([Type.String(), Type.Null()]),
  byKey: Type.Record(Type.String(), Type.Uint8Array()),
});

describe('msgpack codec', () => {
  it('is application/msgpack', () => {
    assert.equal(msgpack.contentType, 'application/msgpack');
  });

  for (const { name, schema } of [...protoRoots(OrdersContract), { name: 'binary', schema: binary }])
    it(`round-trips every valid ${name}`, () => {
      fc.assert(
        fc.property(arbitraryFor(schema), (value) =>
          assert.deepStrictEqual(msgpack.decode(msgpack.encode(value)), value),
        ),
      );
    });

  it('drops undefined properties as JSON does, instead of writing nil', () => {
    assert.deepStrictEqual(msgpack.decode(msgpack.encode({ a: 1, note: undefined })), { a: 1 });
  });

  it('keeps integers up to 2^53 exact', () => {
    for (const n of [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 32, -(2 ** 31) - 1])
      assert.equal(msgpack.decode(msgpack.encode(n)), n);
  });

  it('rejects malformed input with INVALID_ARGUMENT', () => {
    const good = msgpack.encode({ orderId: 'o-1', items: [1, 2, 3] });
    for (const input of [
      new Uint8Array([]),
      new Uint8Array([0xc1]), // never used by the format
      good.subarray(0, good.length - 1), // truncated
      new Uint8Array([...good, 0x00]), // trailing bytes
      new Uint8Array([0xd9, 0x05, 0x61]), // str8 announcing more bytes than there are
      new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff]), // map32 announcing 4 billion entries
    ])
      assert.throws(() => msgpack.decode(input), invalid, Buffer.from(input).toString('hex'));
  });

  it('rejects a __proto__ key rather than changing a prototype', () => {
    // fixmap(1) { "__proto__": 1 }
    const input = new Uint8Array([0x81, 0xa9, ...new TextEncoder().encode('__proto__'), 0x01]);
    assert.throws(() => msgpack.decode(input), invalid);
  });

  it('refuses to encode what it cannot carry, as INTERNAL', () => {
    assert.throws(
      () => msgpack.encode(() => 1),
      (error) => SwitchyardError.is(error, 'INTERNAL'),
    );
  });
});
