import type {
  MethodDefinition,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  UntypedServiceImplementation,
  sendUnaryData,
} from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { SwitchyardError } from '../../errors/index.js';
import type { Grpc } from './driver.js';
import { toStatus } from './status.js';

/** The standard health service (grpc/grpc-proto `grpc/health/v1/health.proto`), served as is. */
export const healthProto = `syntax = "proto3";

package grpc.health.v1;

message HealthCheckRequest {
  string service = 1;
}

message HealthCheckResponse {
  enum ServingStatus {
    UNKNOWN = 0;
    SERVING = 1;
    NOT_SERVING = 2;
    SERVICE_UNKNOWN = 3;
  }
  ServingStatus status = 1;
}

message HealthListRequest {
}

message HealthListResponse {
  map<string, HealthCheckResponse> statuses = 1;
}

service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc List(HealthListRequest) returns (HealthListResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
`;

export const healthFileName = 'grpc/health/v1/health.proto';
export const healthServiceName = 'grpc.health.v1.Health';

export type ServingStatus = 'SERVING' | 'NOT_SERVING';
const SERVICE_UNKNOWN = 3;
const statusNumber: Record<ServingStatus, number> = { SERVING: 1, NOT_SERVING: 2 };

export interface HealthService {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
  /** Sets the status of every registered name ('' is the server as a whole); watchers hear of changes. */
  setAll(status: ServingStatus): void;
  /** Ends every Watch stream: a graceful shutdown waits for open calls, and a watch never ends by itself. */
  endWatches(): void;
}

let types: { request: protobuf.Type; response: protobuf.Type; list: protobuf.Type } | undefined;
function messageTypes() {
  if (types) return types;
  const root = protobuf.parse(healthProto, { keepCase: true }).root.resolveAll();
  types = {
    request: root.lookupType('grpc.health.v1.HealthCheckRequest'),
    response: root.lookupType('grpc.health.v1.HealthCheckResponse'),
    list: root.lookupType('grpc.health.v1.HealthListResponse'),
  };
  return types;
}

/** Health of the server ('') and of each `<package>.<Service>` it serves, all SERVING until told otherwise. */
export function createHealthService(grpc: Grpc, services: readonly string[]): HealthService {
  const { request, response, list } = messageTypes();
  const statuses = new Map<string, number>(['', ...services].map((name) => [name, statusNumber.SERVING]));
  const watchers = new Map<ServerWritableStream<Buffer, Buffer>, { service: string; last: number }>();
  const encode = (status: number) => Buffer.from(response.encode({ status }).finish());
  // Bytes in, bytes out: decoding in the handler turns a malformed request into INVALID_ARGUMENT.
  const serviceOf = (bytes: Buffer): string => {
    try {
      return (request.decode(bytes) as unknown as { service: string }).service;
    } catch (error) {
      throw new SwitchyardError('INVALID_ARGUMENT', 'malformed grpc.health.v1.HealthCheckRequest', {
        cause: error,
      });
    }
  };

  const check = (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
    try {
      const service = serviceOf(call.request);
      const status = statuses.get(service);
      if (status === undefined) throw new SwitchyardError('NOT_FOUND', `unknown service ${service}`);
      callback(null, encode(status));
    } catch (error) {
      callback(toStatus(grpc, error));
    }
  };
  const listAll = (_call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
    const all = Object.fromEntries([...statuses].map(([name, status]) => [name, { status }]));
    callback(null, Buffer.from(list.encode({ statuses: all }).finish()));
  };
  const watch = (call: ServerWritableStream<Buffer, Buffer>) => {
    let service: string;
    try {
      service = serviceOf(call.request);
    } catch (error) {
      call.emit('error', toStatus(grpc, error));
      return;
    }
    const last = statuses.get(service) ?? SERVICE_UNKNOWN;
    watchers.set(call, { service, last });
    call.on('cancelled', () => watchers.delete(call));
    call.write(encode(last));
  };

  return {
    definition: {
      Check: method('Check', false),
      List: method('List', false),
      Watch: method('Watch', true),
    },
    implementation: { Check: check, List: listAll, Watch: watch },
    setAll(status) {
      for (const name of statuses.keys()) statuses.set(name, statusNumber[status]);
      for (const [call, watcher] of watchers) {
        const now = statuses.get(watcher.service) ?? SERVICE_UNKNOWN;
        if (now === watcher.last) continue;
        watcher.last = now;
        call.write(encode(now));
      }
    },
    endWatches() {
      for (const call of watchers.keys()) call.end();
      watchers.clear();
    },
  };
}

const identity = (bytes: Buffer) => bytes;

function method(name: string, responseStream: boolean): MethodDefinition<Buffer, Buffer> {
  return {
    path: `/${healthServiceName}/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}
