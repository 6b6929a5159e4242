import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { arbitraryFor } from '../../test/support/arbitrary.js';
import { OrdersContract } from '../../test/fixtures/orders.contract.js';
import { protoRoots } from '../contract/proto-numbering.js';
import { SwitchyardError } from '../errors/index.js';
import { json } from './json.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('json codec', () => {
  it('is application/json', () => {
    assert.equal(json.contentType, 'application/json');
    assert.deepEqual(new Uint8Array(json.encode({ a: 'é' })), bytes('{"a":"é"}'));
  });

  // protoRoots lists every operation input/output, command payload/reply and event payload.
  for (const { name, schema } of protoRoots(OrdersContract))
    it(`round-trips every valid ${name}`, () => {
      fc.assert(
        fc.property(arbitraryFor(schema), (value) =>
          assert.deepStrictEqual(json.decode(json.encode(value)), value),
        ),
      );
    });

  it('rejects malformed input with INVALID_ARGUMENT', () => {
    for (const input of [
      bytes('{'),
      bytes(''),
      bytes('{"a":1}x'),
      bytes("{'a':1}"),
      new Uint8Array([0x22, 0xff, 0x22]),
    ])
      assert.throws(
        () => json.decode(input),
        (error) =>
          SwitchyardError.is(error, 'INVALID_ARGUMENT') && error.message.startsWith('malformed JSON: '),
      );
  });

  it('refuses to encode what JSON cannot say, as INTERNAL', () => {
    for (const value of [undefined, 1n, { big: 2n }])
      assert.throws(
        () => json.encode(value),
        (error) => SwitchyardError.is(error, 'INTERNAL'),
      );
  });
});
