import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { exportProto } from '../../contract/index.js';
import { OrdersContract } from '../../../test/fixtures/orders.contract.js';
import { fileDescriptor } from './descriptor.js';
import { healthProto } from './health.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-descriptor-'));

/** What protoc itself writes for the file (`--descriptor_set_out`), as a plain object. */
function protocDescriptor(fileName: string, proto: string): Record<string, unknown> {
  const path = join(dir, fileName);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, proto);
  const out = `${path}.pb`;
  execFileSync('protoc', [`-I${dir}`, `--descriptor_set_out=${out}`, fileName], { cwd: dir, stdio: 'pipe' });
  const set = readFileSync(out);
  const decoded = descriptor.FileDescriptorSet.toObject(descriptor.FileDescriptorSet.decode(set)) as {
    file: Record<string, unknown>[];
  };
  return decoded.file[0]!;
}

function ours(fileName: string, proto: string): Record<string, unknown> {
  const bytes = fileDescriptor({ proto, fileName });
  return descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes));
}

const kitchenSink = `syntax = "proto3";

package acme.kitchen.v3;

service Kitchen {
  option deprecated = true;
  rpc Plan(PlanRequest) returns (PlanResponse);
  rpc Stream(PlanRequest) returns (stream PlanResponse) {
    option deprecated = true;
  }
}

message PlanRequest {
  reserved 2, 5 to 7, 9;
  string ticket_id = 1;
  optional double weight = 3;
  repeated int64 slots = 4;
  map<string, PlanRequestStations> stations = 8;
  bytes blob = 10;
  map<string, bool> flags_by_name = 11;
  optional PlanRequestStations main = 12;
}

message PlanRequestStations {
  option deprecated = true;
  repeated string cooks = 1;
}

message PlanResponse {
  bool ok = 1;
}
`;

describe('reflection descriptors', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('are what protoc writes for the exported .proto of a contract', () => {
    const name = 'switchyard/orders/v1/orders.proto';
    const proto = exportProto(OrdersContract);
    assert.deepEqual(ours(name, proto), protocDescriptor(name, proto));
  });

  it('are what protoc writes for the standard health service', () => {
    const name = 'grpc/health/v1/health.proto';
    assert.deepEqual(ours(name, healthProto), protocDescriptor(name, healthProto));
  });

  it('cover reserved ranges, maps of messages, optional messages, streams and deprecations', () => {
    const name = 'acme/kitchen/v3/kitchen.proto';
    assert.deepEqual(ours(name, kitchenSink), protocDescriptor(name, kitchenSink));
  });
});
