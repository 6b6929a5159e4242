// Helpers for the gRPC transport tests: a small orders service, raw grpc-js calls, and a generic client
// that knows a service only through server reflection (as grpcurl does). The reflection client here
// deliberately uses none of src/ (src/rpc/grpc/reflection-client.ts is the product one), so the test
// proves a client that is not ours can list and call a service.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { createHost, type Host, type HostOptions, type Implementation } from '../../src/runtime/index.js';
import { OrdersContract } from '../fixtures/orders.contract.js';
import { ordersImpl, sampleOrder } from '../fixtures/orders.impl.js';

export { ordersImpl, sampleOrder };

export function ordersHost(
  overrides: Partial<Implementation<typeof OrdersContract>> = {},
  options: HostOptions = {},
): Host {
  const host = createHost({ name: 'orders-server', ...options });
  host.implement(OrdersContract, ordersImpl(overrides));
  return host;
}

const identity = (bytes: Buffer) => bytes;

export interface RawResult {
  error?: grpc.ServiceError;
  response?: Buffer;
}

/** One unary call with bytes in and bytes out, nothing of ours on the way. */
export function rawCall(
  client: grpc.Client,
  path: string,
  request: Buffer,
  metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, request, metadata, options, (error, response) =>
      resolve(error ? { error } : { response: response! }),
    );
  });
}

export function plainClient(port: number): grpc.Client {
  return new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

type ReflectionVersion = 'v1' | 'v1alpha';

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** A reflection client built from the reflection .proto that ships with @grpc/reflection. */
export function reflectionClient(port: number, version: ReflectionVersion = 'v1') {
  const packageRoot = dirname(createRequire(import.meta.url).resolve('@grpc/reflection/package.json'));
  const file = join(packageRoot, 'build/proto/grpc/reflection', version, 'reflection.proto');
  const definition = protoLoader.loadSync(file, { longs: Number, oneofs: true });
  const loaded = grpc.loadPackageDefinition(definition) as any;
  const Constructor = loaded.grpc.reflection[version].ServerReflection as grpc.ServiceClientConstructor;
  const client = new Constructor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as any;

  const ask = (request: Record<string, unknown>): Promise<ReflectionResponse> =>
    new Promise((resolve, reject) => {
      const stream = client.ServerReflectionInfo();
      stream.once('data', (response: ReflectionResponse) => {
        resolve(response);
        stream.end();
      });
      stream.once('error', reject);
      stream.write(request);
    });

  return {
    async listServices(): Promise<string[]> {
      const response = await ask({ listServices: '*' });
      return response.listServicesResponse!.service.map((s) => s.name);
    },
    /** The file declaring `symbol`, with its dependencies, decoded. */
    async fileContainingSymbol(symbol: string): Promise<Record<string, any>[]> {
      const response = await ask({ fileContainingSymbol: symbol });
      if (response.errorResponse) throw new Error(response.errorResponse.errorMessage);
      return response.fileDescriptorResponse!.fileDescriptorProto.map((bytes) =>
        descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes)),
      );
    },
    close: () => client.close(),
  };
}

/**
 * A client of a service known only by name: the schema comes from reflection, the messages are
 * encoded with protobufjs types built from the reflected descriptors, the call is a plain grpc-js call.
 */
export async function reflectedService(port: number, serviceName: string) {
  const reflection = reflectionClient(port);
  const files = await reflection.fileContainingSymbol(serviceName);
  reflection.close();
  const set = descriptor.FileDescriptorSet.fromObject({ file: files });
  const root = (protobuf.Root as any).fromDescriptor(set) as protobuf.Root;
  root.resolveAll();
  const service = root.lookupService(serviceName);
  const client = plainClient(port);
  return {
    root,
    service,
    async call(method: string, request: Record<string, unknown>) {
      const m = service.methods[method];
      if (!m) throw new Error(`${serviceName} has no method ${method}`);
      const input = m.resolvedRequestType!;
      const output = m.resolvedResponseType!;
      const bytes = Buffer.from(input.encode(input.fromObject(request)).finish());
      const result = await rawCall(client, `/${serviceName}/${m.name}`, bytes);
      if (result.error) return { error: result.error };
      return { response: output.toObject(output.decode(result.response!), { longs: Number }) };
    },
    close: () => client.close(),
  };
}
