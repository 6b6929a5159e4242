import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { Type, type TObject } from '@sinclair/typebox';
import { OrdersContract } from '../../../test/fixtures/orders.contract.js';
import { command, contract, event, operation } from '../define.js';
import { ContractDefinitionError } from '../definition-error.js';
import { snapshotFileName } from '../history.js';
import { toSnapshot } from '../snapshot.js';
import { exportProto } from './proto.js';

/** Runs the real protoc over the text; throws (failing the test) if protoc is missing or rejects it. */
function protoc(text: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-proto-'));
  try {
    writeFileSync(join(dir, 'contract.proto'), text);
    execFileSync(
      'protoc',
      [`--descriptor_set_out=${join(dir, 'out.pb')}`, `-I${dir}`, join(dir, 'contract.proto')],
      {
        stdio: 'pipe',
      },
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`protoc failed: ${stderr || String(error)}\n${text}`, { cause: error });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every construct the schema → protobuf mapping knows, with names that are protobuf keywords. */
const everything = contract({
  name: 'kitchen-sink',
  version: '2.0.0',
  description: 'Every construct.\nSecond line of the description.',
  operations: {
    putThing: operation({
      description: 'Stores a thing',
      input: Type.Object(
        {
          message: Type.String({ description: 'A field named like a keyword' }),
          optional: Type.Optional(Type.String()),
          reserved: Type.Integer(),
          map: Type.Record(Type.String(), Type.Integer()),
          ratio: Type.Number(),
          blob: Type.Uint8Array(),
          maybeBlob: Type.Optional(Type.Uint8Array()),
          level: Type.Union([Type.Literal(1), Type.Literal(2)]),
          flag: Type.Literal(true),
          nullableText: Type.Union([Type.String(), Type.Null()]),
          optionalNullable: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
          nullableList: Type.Union([Type.Array(Type.String()), Type.Null()]),
          nullableMap: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
          child: Type.Optional(Type.Object({ name: Type.String() })),
          nullableChild: Type.Union([Type.Object({ name: Type.String() }), Type.Null()]),
          children: Type.Array(Type.Object({ name: Type.String(), tags: Type.Array(Type.String()) })),
          byName: Type.Record(Type.String(), Type.Object({ size: Type.Number() })),
        },
        { description: 'What to store' },
      ),
      output: Type.Object({ id: Type.String() }),
    }),
  },
  commands: {
    shred: command({
      payload: Type.Object({ id: Type.String() }),
      description: 'Destroys a thing',
      deprecated: { since: '2026-01-01', message: 'Use burn.' },
    }),
  },
  events: {
    thingStored: event({ payload: Type.Object({ id: Type.String(), at: Type.Number() }) }),
  },
});

describe('exportProto', () => {
  it('writes proto3 that protoc accepts for the fixture contract', () => {
    const text = exportProto(OrdersContract);
    protoc(text);
    assert.match(text, /^syntax = "proto3";$/m);
    assert.match(text, /^package switchyard\.orders\.v1;$/m);
    assert.match(text, /^\/\/ Creates and tracks orders\nservice Orders \{$/m);
    assert.ok(text.includes('  rpc GetOrder(GetOrderRequest) returns (GetOrderResponse);'));
    assert.ok(text.includes('  rpc CreateOrder(CreateOrderRequest) returns (CreateOrderResponse);'));
    assert.ok(
      text.includes(
        '  rpc CancelOrder(CancelOrderRequest) returns (CancelOrderResponse) {\n    option deprecated = true;\n  }',
      ),
    );
    assert.ok(text.includes('  map<string, string> tags = 7;'));
    assert.ok(text.includes('  repeated CreateOrderRequestItems items = 3;'));
    assert.ok(text.includes('  optional string note = 4;'));
    assert.ok(text.includes('  CreateOrderResponseTotal total = 5;'));
    assert.ok(text.includes('message ApproveOrderReply {\n  bool ok = 1;\n}'));
    assert.ok(!text.includes('reserved'));
    assert.ok(!text.includes('rpc ApproveOrder'), 'commands have no rpc');
  });

  it('writes every construct of the mapping in a form protoc accepts', () => {
    const text = exportProto(everything);
    protoc(text);
    for (const line of [
      '// Every construct.\n// Second line of the description.\nservice KitchenSink {',
      '  // Stores a thing\n  rpc PutThing(PutThingRequest) returns (PutThingResponse);',
      '// What to store\nmessage PutThingRequest {',
      '  // A field named like a keyword\n  string message = 1;',
      '  optional string optional = 2;',
      '  int64 reserved = 3;',
      '  map<string, int64> map = 4;',
      '  double ratio = 5;',
      '  bytes blob = 6;',
      '  optional bytes maybeBlob = 7;',
      '  int64 level = 8;',
      '  bool flag = 9;',
      '  optional string nullableText = 10;',
      '  optional int64 optionalNullable = 11;',
      '  repeated string nullableList = 12;',
      '  map<string, string> nullableMap = 13;',
      '  optional PutThingRequestChild child = 14;',
      '  optional PutThingRequestNullableChild nullableChild = 15;',
      '  repeated PutThingRequestChildren children = 16;',
      '  map<string, PutThingRequestByName> byName = 17;',
      'message PutThingRequestChildren {\n  string name = 1;\n  repeated string tags = 2;\n}',
      '// Destroys a thing\n// Deprecated since 2026-01-01. Use burn.\nmessage ShredCommand {\n  option deprecated = true;',
    ])
      assert.ok(text.includes(line), `missing:\n${line}\n--- in ---\n${text}`);
  });

  it('omits the service of a contract without operations', () => {
    const text = exportProto(
      contract({
        name: 'events-only',
        version: '0.1.0',
        events: { ping: event({ payload: Type.Object({}) }) },
      }),
    );
    protoc(text);
    assert.ok(!text.includes('service'));
    assert.ok(text.includes('package switchyard.events_only.v0;'));
  });

  it('keeps numbers from the previous release and reserves removed ones', () => {
    const v1 = cancelContract(
      '1.0.0',
      Type.Object({ orderId: Type.String(), reason: Type.String(), by: Type.String() }),
    );
    const v2 = cancelContract(
      '1.1.0',
      Type.Object({ orderId: Type.String(), by: Type.String(), note: Type.String() }),
    );
    const text = exportProto(v2, { previous: toSnapshot(v1) });
    protoc(text);
    assert.ok(
      text.includes(
        'message CancelRequest {\n  reserved 2;\n  string orderId = 1;\n  string by = 3;\n  string note = 4;\n}',
      ),
    );

    const v3 = cancelContract('1.2.0', Type.Object({ orderId: Type.String() }));
    const v3Text = exportProto(v3, { previous: toSnapshot(v2, toSnapshot(v1)) });
    protoc(v3Text);
    assert.ok(v3Text.includes('message CancelRequest {\n  reserved 2 to 4;\n  string orderId = 1;\n}'));
  });

  it('rejects a service name that clashes with a message', () => {
    const c = contract({
      name: 'get-request',
      version: '1.0.0',
      operations: { get: operation({ input: Type.Object({}), output: Type.Object({}) }) },
    });
    assert.throws(() => exportProto(c), ContractDefinitionError);
  });

  it('finds the previous release in the contract snapshots folder by default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-snapshots-'));
    try {
      const snapshots = pathToFileURL(`${dir}/`);
      const v1 = cancelContract(
        '1.0.0',
        Type.Object({ orderId: Type.String(), reason: Type.String() }),
        snapshots,
      );
      writeFileSync(join(dir, snapshotFileName('cancels', '1.0.0')), JSON.stringify(toSnapshot(v1)));
      const v2 = cancelContract(
        '1.1.0',
        Type.Object({ orderId: Type.String(), note: Type.String() }),
        snapshots,
      );
      const text = exportProto(v2);
      protoc(text);
      assert.ok(text.includes('  reserved 2;\n  string orderId = 1;\n  string note = 3;'));

      // Once 1.1.0 is released too, 1.0.0 still gets its own numbers, not 1.1.0's.
      writeFileSync(
        join(dir, snapshotFileName('cancels', '1.1.0')),
        JSON.stringify(toSnapshot(v2, toSnapshot(v1))),
      );
      const v1Text = exportProto(v1);
      assert.ok(
        v1Text.includes('message CancelRequest {\n  string orderId = 1;\n  string reason = 2;\n}'),
        v1Text,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function cancelContract(version: string, input: TObject, snapshots?: URL) {
  return contract({
    name: 'cancels',
    version,
    operations: { cancel: operation({ input, output: Type.Object({ ok: Type.Boolean() }) }) },
    ...(snapshots ? { snapshots } : {}),
  });
}
