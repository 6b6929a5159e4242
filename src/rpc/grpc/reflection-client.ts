import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as GrpcJs from '@grpc/grpc-js';
import { SwitchyardError } from '../../errors/index.js';
import { loadGrpc } from './driver.js';
import { fromStatus } from './status.js';

type Protobuf = typeof import('protobufjs');

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** A gRPC server's reflection service (v1), spoken with the .proto shipped by @grpc/reflection. */
export async function reflectionClient(address: string) {
  const grpc = await loadGrpc();
  const protoLoader = await import('@grpc/proto-loader');
  const packageRoot = dirname(createRequire(import.meta.url).resolve('@grpc/reflection/package.json'));
  const file = join(packageRoot, 'build/proto/grpc/reflection/v1/reflection.proto');
  const definition = protoLoader.loadSync(file, { longs: Number, oneofs: true });
  const loaded = grpc.loadPackageDefinition(definition) as any;
  const Constructor = loaded.grpc.reflection.v1.ServerReflection as GrpcJs.ServiceClientConstructor;
  const client = new Constructor(address, grpc.credentials.createInsecure()) as any;

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
    /** The encoded file descriptors declaring `symbol`, with their dependencies. */
    async fileContainingSymbol(symbol: string): Promise<Buffer[]> {
      const response = await ask({ fileContainingSymbol: symbol });
      if (response.errorResponse)
        throw new SwitchyardError('NOT_FOUND', response.errorResponse.errorMessage, { details: { symbol } });
      return response.fileDescriptorResponse!.fileDescriptorProto;
    },
    close: () => client.close(),
  };
}

/**
 * A client of a gRPC service known only by name, as grpcurl works: the schema comes from server
 * reflection, messages are built from the reflected descriptors, and errors come back as
 * SwitchyardErrors (exact when the server is ours, from the status otherwise).
 */
export async function reflectedService(address: string, serviceName: string) {
  const grpc = await loadGrpc();
  const protobuf = ((await import('protobufjs')) as unknown as { default: Protobuf }).default;
  const descriptor = ((await import('protobufjs/ext/descriptor/index.js')) as { default: any }).default;
  const reflection = await reflectionClient(address);
  let files: Buffer[];
  try {
    files = await reflection.fileContainingSymbol(serviceName);
  } finally {
    reflection.close();
  }
  const set = descriptor.FileDescriptorSet.fromObject({
    file: files.map((bytes) =>
      descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes)),
    ),
  });
  const root = (protobuf.Root as any).fromDescriptor(set) as import('protobufjs').Root;
  root.resolveAll();
  const service = root.lookupService(serviceName);
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return {
    root,
    service,
    /** Calls `method` with a JSON request; resolves with the JSON response. */
    call(method: string, request: Record<string, unknown>, options: { deadline?: number } = {}) {
      const m = service.methods[method];
      if (!m)
        return Promise.reject(
          new SwitchyardError('UNIMPLEMENTED', `${serviceName} has no method ${method}`, {
            details: { methods: Object.keys(service.methods) },
          }),
        );
      const input = m.resolvedRequestType!;
      const output = m.resolvedResponseType!;
      const bytes = Buffer.from(input.encode(input.fromObject(request)).finish());
      return new Promise<Record<string, unknown>>((resolve, reject) =>
        client.makeUnaryRequest(
          `/${serviceName}/${m.name}`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          new grpc.Metadata(),
          options.deadline === undefined ? {} : { deadline: options.deadline },
          (error, response) =>
            error
              ? reject(fromStatus(error))
              : resolve(output.toObject(output.decode(response!), { longs: Number, defaults: true })),
        ),
      );
    },
    close: () => client.close(),
  };
}
