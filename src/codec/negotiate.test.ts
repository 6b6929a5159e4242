import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrdersContract } from '../../test/fixtures/orders.contract.js';
import type { Codec } from './codec.js';
import { json } from './json.js';
import { msgpack } from './msgpack.js';
import { codecForContentType, defaultCodecs, negotiateAccept } from './negotiate.js';
import { protobufCodecs } from './protobuf.js';

describe('codecForContentType', () => {
  const cases: [string | undefined, Codec | undefined][] = [
    [undefined, json],
    ['', json],
    ['application/json', json],
    ['application/json; charset=utf-8', json],
    [' Application/JSON ;charset=UTF-8', json],
    ['application/msgpack', msgpack],
    ['application/x-msgpack', msgpack],
    ['APPLICATION/X-MSGPACK', msgpack],
    ['text/plain', undefined],
    ['application/jsonx', undefined],
    ['application/*', undefined],
  ];
  for (const [header, expected] of cases)
    it(`${JSON.stringify(header)} → ${expected?.contentType ?? 'none'}`, () => {
      assert.equal(codecForContentType(header), expected);
    });

  it('only picks from the codecs given', () => {
    const protobuf = protobufCodecs(OrdersContract).operation('getOrder').input;
    assert.equal(codecForContentType('application/protobuf', [protobuf]), protobuf);
    assert.equal(codecForContentType('application/json', [protobuf]), undefined);
    assert.equal(
      codecForContentType(undefined, [protobuf]),
      protobuf,
      'without JSON the first codec is the default',
    );
  });
});

describe('negotiateAccept', () => {
  const cases: [string | undefined, Codec | undefined][] = [
    [undefined, json],
    ['', json],
    ['*/*', json],
    ['*', json],
    ['application/*', json],
    ['application/json', json],
    ['application/msgpack', msgpack],
    ['application/x-msgpack', msgpack],
    ['Application/MsgPack', msgpack],
    ['application/json;q=0.5, application/msgpack', msgpack],
    ['application/json; q=0.5, application/msgpack; q=0.6', msgpack],
    ['application/msgpack;q=0.4, application/json;q=0.5', json],
    // json gets 0.1 from its own range, which is more specific than application/*.
    ['application/*;q=0.9, application/json;q=0.1', msgpack],
    ['application/json;q=0, */*', msgpack],
    ['application/json;q=0', undefined],
    ['text/html', undefined],
    ['text/*', undefined],
    // Same weight: the more specific match wins over the wildcard.
    ['application/msgpack, */*', msgpack],
    ['*/*;q=0.8, application/json;q=0.8', json],
    // Same weight and specificity: the range listed first wins.
    ['application/msgpack, application/json', msgpack],
    ['application/json, application/msgpack', json],
    // A weight that cannot be read drops its range.
    ['application/msgpack;q=abc, application/json;q=0.2', json],
    ['application/msgpack;q=2, application/json;q=0.2', json],
    ['application/msgpack;q=abc', json],
    // What browsers send.
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', json],
    ['application/json;charset=utf-8;q=0.9, application/msgpack;q=0.8', json],
  ];
  for (const [accept, expected] of cases)
    it(`${JSON.stringify(accept)} → ${expected?.contentType ?? 'none'}`, () => {
      assert.equal(negotiateAccept(accept), expected);
    });

  it('picks from the codecs given, in their order when nothing else decides', () => {
    const protobuf = protobufCodecs(OrdersContract).operation('getOrder').output;
    const available = [...defaultCodecs, protobuf];
    assert.equal(negotiateAccept('application/protobuf', available), protobuf);
    assert.equal(negotiateAccept('application/protobuf;q=0.5, application/msgpack', available), msgpack);
    assert.equal(negotiateAccept('*/*', [msgpack, protobuf]), msgpack);
    assert.equal(negotiateAccept(undefined, [protobuf, json]), json);
    assert.equal(negotiateAccept('application/json', []), undefined);
  });
});
