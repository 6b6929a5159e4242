import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { protobufCodecs } from '../../codec/protobuf.js';
import type { AnyContract } from '../../contract/index.js';
import { loadReflection } from './driver.js';
import { healthFileName, healthProto, healthServiceName } from './health.js';
import { grpcServiceName } from './naming.js';

export interface ReflectedFile {
  /** Fully qualified name of the service the file declares. */
  readonly service: string;
  readonly fileName: string;
  readonly proto: string;
}

/** The file of a contract: the text the codecs use, named after its package (`switchyard/orders/v1/orders.proto`). */
export function contractFile(contract: AnyContract): ReflectedFile {
  return {
    service: grpcServiceName(contract),
    fileName: `${contract.protoPackage.replaceAll('.', '/')}/${contract.name}.proto`,
    proto: protobufCodecs(contract).proto,
  };
}

export const healthFile: ReflectedFile = {
  service: healthServiceName,
  fileName: healthFileName,
  proto: healthProto,
};

/**
 * Adds gRPC server reflection (v1 and v1alpha, both served by @grpc/reflection) describing `files`.
 * The reflection service takes a proto-loader package definition but reads only the encoded
 * `fileDescriptorProtos` of its entries; we hand it our own descriptors (see descriptor.ts) rather
 * than proto-loader's, which lose `optional` and fully qualified type names.
 */
export async function addReflection(server: Server, files: readonly ReflectedFile[]): Promise<void> {
  const { ReflectionService } = await loadReflection();
  // Loaded here: the descriptor types are parsed on import, and only a server with reflection needs them.
  const { fileDescriptor } = await import('./descriptor.js');
  const definition: Record<string, unknown> = {};
  for (const file of files) {
    const bytes = Buffer.from(fileDescriptor({ proto: file.proto, fileName: file.fileName }));
    definition[file.service] = {
      format: 'Protocol Buffer 3 FileDescriptorProto',
      fileDescriptorProtos: [bytes],
    };
  }
  new ReflectionService(definition as PackageDefinition).addToServer(server);
}
