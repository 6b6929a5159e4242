import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Kind, Type, type TObject, type TSchema } from '@sinclair/typebox';
import { arbitraryFor } from '../../test/support/arbitrary.js';
import { OrdersContract } from '../../test/fixtures/orders.contract.js';
import { command, contract, event, operation } from '../contract/define.js';
import { exportProto } from '../contract/export/proto.js';
import { protoRoots } from '../contract/proto-numbering.js';
import { toSnapshot } from '../contract/snapshot.js';
import type { AnyContract } from '../contract/types.js';
import { validator } from '../contract/validator.js';
import { SwitchyardError } from '../errors/index.js';
import { protobufCodecs } from './protobuf.js';

const Child = Type.Object({ name: Type.String(), tags: Type.Array(Type.String()) });

/** Every construct the schema → protobuf mapping knows, each where proto3 presence matters. */
const everything = contract({
  name: 'kitchen-sink',
  version: '1.0.0',
  operations: {
    putThing: operation({
      input: Type.Object({
        text: Type.String(),
        count: Type.Integer(),
        ratio: Type.Number(),
        flag: Type.Boolean(),
        blob: Type.Uint8Array(),
        level: Type.Union([Type.Literal(1), Type.Literal(2)]),
        kind: Type.Union([Type.Literal('a'), Type.Literal('b')]),
        optionalText: Type.Optional(Type.String()),
        optionalCount: Type.Optional(Type.Integer()),
        optionalBlob: Type.Optional(Type.Uint8Array()),
        nullableText: Type.Union([Type.String(), Type.Null()]),
        optionalNullable: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
        list: Type.Array(Type.Integer()),
        optionalList: Type.Optional(Type.Array(Type.String())),
        nullableList: Type.Union([Type.Array(Type.String()), Type.Null()]),
        map: Type.Record(Type.String(), Type.Integer()),
        optionalMap: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
        nullableMap: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
        child: Child,
        optionalChild: Type.Optional(Child),
        nullableChild: Type.Union([Child, Type.Null()]),
        children: Type.Array(Child),
        byName: Type.Record(Type.String(), Child),
        blobs: Type.Array(Type.Uint8Array()),
        blobByName: Type.Record(Type.String(), Type.Uint8Array()),
      }),
      output: Type.Object({}),
    }),
  },
  commands: {
    shred: command({
      payload: Type.Object({ id: Type.String() }),
      reply: Type.Object({ ok: Type.Boolean() }),
    }),
  },
  events: {
    stored: event({
      payload: Type.Object({
        at: Type.Number(),
        child: Child,
        byName: Type.Optional(Type.Record(Type.String(), Child)),
      }),
    }),
  },
});

/**
 * What a value reads back as after protobuf, by the rule documented on ProtobufCodec: null or an
 * empty list/map on an optional property is absent; null on a required list/map is empty; null on
 * a required `T | null` stays null. Everything else is unchanged.
 */
function afterProtobuf(schema: TSchema, value: unknown): unknown {
  if (schema[Kind] === 'Array')
    return (value as unknown[]).map((item) => afterProtobuf(schema.items as TSchema, item));
  if (schema[Kind] === 'Record') {
    const valueSchema = Object.values(schema.patternProperties as Record<string, TSchema>)[0]!;
    return Object.fromEntries(
      Object.entries(value as object).map(([k, v]) => [k, afterProtobuf(valueSchema, v)]),
    );
  }
  if (schema[Kind] !== 'Object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, property] of Object.entries((schema as TObject).properties)) {
    const v = Object.hasOwn(value as object, key) ? (value as Record<string, unknown>)[key] : undefined;
    const required = (schema as TObject).required?.includes(key) ?? false;
    const inner = nonNull(property);
    if (v === undefined) continue;
    if (v === null) {
      if (required) out[key] = inner[Kind] === 'Array' ? [] : inner[Kind] === 'Record' ? {} : null;
      continue;
    }
    const empty = Array.isArray(v) ? v.length === 0 : inner[Kind] === 'Record' && Object.keys(v).length === 0;
    if (!required && empty) continue;
    out[key] = afterProtobuf(inner, v);
  }
  return out;
}

function nonNull(schema: TSchema): TSchema {
  if (schema[Kind] !== 'Union') return schema;
  const members = (schema.anyOf as TSchema[]).filter((m) => m[Kind] !== 'Null');
  return members.length === 1 ? members[0]! : schema;
}

function roundTrips(c: AnyContract) {
  const codecs = protobufCodecs(c);
  for (const { name, schema } of protoRoots(c))
    it(`round-trips every valid ${c.name} ${name}`, () => {
      const codec = codecs.message(name);
      const check = validator(schema);
      fc.assert(
        fc.property(arbitraryFor(schema), (value) => {
          const decoded = codec.decode(codec.encode(value));
          assert.deepStrictEqual(decoded, afterProtobuf(schema, value));
          assert.ok(check.check(decoded), JSON.stringify(check.violations(decoded)));
        }),
      );
    });
}

describe('protobuf codecs', () => {
  roundTrips(OrdersContract);
  roundTrips(everything);

  it('are built from the exported .proto text and cached per contract', () => {
    const codecs = protobufCodecs(OrdersContract);
    assert.equal(codecs.proto, exportProto(OrdersContract));
    assert.equal(protobufCodecs(OrdersContract), codecs);
    assert.notEqual(protobufCodecs(OrdersContract, { previous: toSnapshot(OrdersContract) }), codecs);
    assert.equal(codecs.message('CreateOrderRequest').contentType, 'application/protobuf');
  });

  it('give codecs per operation, command and event', () => {
    const codecs = protobufCodecs(OrdersContract);
    assert.equal(codecs.operation('createOrder').input.message, 'CreateOrderRequest');
    assert.equal(codecs.operation('getOrder').output.message, 'GetOrderResponse');
    assert.equal(codecs.command('approveOrder').payload.message, 'ApproveOrderCommand');
    assert.equal(codecs.command('approveOrder').reply?.message, 'ApproveOrderReply');
    assert.equal(codecs.command('notifyConsumer').reply, undefined);
    assert.equal(codecs.event('orderCreated').message, 'OrderCreatedEvent');
    assert.throws(() => codecs.operation('nope'), RangeError);
    assert.throws(() => codecs.event('createOrder'), RangeError);
    assert.throws(() => codecs.message('Nope'), RangeError);
  });

  it('read absent fields as zero values for required properties and leave optional ones absent', () => {
    const codecs = protobufCodecs(everything);
    assert.deepStrictEqual(codecs.operation('putThing').input.decode(new Uint8Array()), {
      text: '',
      count: 0,
      ratio: 0,
      flag: false,
      blob: new Uint8Array(),
      level: 0,
      kind: '',
      nullableText: null,
      list: [],
      nullableList: [],
      map: {},
      nullableMap: {},
      child: { name: '', tags: [] },
      nullableChild: null,
      children: [],
      byName: {},
      blobs: [],
      blobByName: {},
    });
  });

  it('reject malformed bytes with INVALID_ARGUMENT', () => {
    const codec = protobufCodecs(OrdersContract).operation('createOrder').input;
    for (const input of [
      new Uint8Array([0x0a, 0x10, 0x41]),
      new Uint8Array([0xff, 0xff, 0xff]),
      new Uint8Array([0x0f]),
    ])
      assert.throws(
        () => codec.decode(input),
        (error) =>
          SwitchyardError.is(error, 'INVALID_ARGUMENT') && error.message.startsWith('malformed protobuf'),
      );
  });

  it('keep a map key called __proto__ as a plain key', () => {
    const codec = protobufCodecs(everything).event('stored');
    const child = JSON.parse('{ "name": "x", "tags": [] }') as unknown;
    const byName = JSON.parse('{ "__proto__": { "name": "p", "tags": ["t"] } }') as Record<string, unknown>;
    const decoded = codec.decode(codec.encode({ at: 1, child, byName })) as {
      byName: Record<string, unknown>;
    };
    assert.equal(Object.getPrototypeOf(decoded.byName), Object.prototype);
    assert.deepEqual(Object.keys(decoded.byName), ['__proto__']);
  });

  describe('speak the same wire format as protoc', () => {
    let dir = '';
    const protoc = (args: string[], input: Uint8Array) =>
      execFileSync('protoc', [`-I${dir}`, ...args, join(dir, 'orders.proto')], { input, stdio: 'pipe' });
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'switchyard-protobuf-'));
      writeFileSync(join(dir, 'orders.proto'), protobufCodecs(OrdersContract).proto);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('protoc decodes what the codec encodes', () => {
      const codec = protobufCodecs(OrdersContract).operation('createOrder').input;
      const bytes = codec.encode({
        consumerId: 'c-1',
        restaurantId: 'r',
        items: [{ menuItemId: 'm', quantity: 2 }],
        priority: false,
      });
      const text = protoc(['--decode=switchyard.orders.v1.CreateOrderRequest'], bytes).toString();
      assert.equal(
        text,
        'consumerId: "c-1"\nrestaurantId: "r"\nitems {\n  menuItemId: "m"\n  quantity: 2\n}\npriority: false\n',
      );
    });

    it('the codec decodes what protoc encodes', () => {
      const codec = protobufCodecs(OrdersContract).operation('getOrder').output;
      const text =
        'orderId: "o-1"\nitems { quantity: 9007199254740991 }\ntotal { amount: -5 }\ntags { key: "k" value: "v" }\n';
      const bytes = protoc(
        ['--encode=switchyard.orders.v1.GetOrderResponse'],
        new TextEncoder().encode(text),
      );
      assert.deepStrictEqual(codec.decode(bytes), {
        orderId: 'o-1',
        consumerId: '',
        state: '',
        items: [{ menuItemId: '', quantity: Number.MAX_SAFE_INTEGER }],
        total: { amount: -5, currency: '' },
        tags: { k: 'v' },
      });
    });
  });
});
