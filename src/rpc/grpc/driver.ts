import type * as GrpcJs from '@grpc/grpc-js';
import type * as GrpcReflection from '@grpc/reflection';

/** The grpc-js module; an optional peer dependency, loaded when a gRPC server or transport first needs it. */
export type Grpc = typeof GrpcJs;

let grpc: Grpc | undefined;
let loading: Promise<Grpc> | undefined;

/**
 * Loads @grpc/grpc-js once. Importing `switchyard/rpc` must not load it: a service that only speaks
 * HTTP does not install it (drivers load lazily, see docs/architecture.md).
 */
export function loadGrpc(): Promise<Grpc> {
  if (grpc) return Promise.resolve(grpc);
  loading ??= import('@grpc/grpc-js').then(
    (module) => (grpc = module),
    (error: unknown) => {
      loading = undefined;
      throw missingPeer('@grpc/grpc-js', error);
    },
  );
  return loading;
}

/** The module once `loadGrpc` has resolved; lets the per-call path skip a promise hop. */
export function loadedGrpc(): Grpc | undefined {
  return grpc;
}

export async function loadReflection(): Promise<typeof GrpcReflection> {
  try {
    return await import('@grpc/reflection');
  } catch (error) {
    throw missingPeer('@grpc/reflection', error);
  }
}

function missingPeer(name: string, cause: unknown): Error {
  return new Error(`gRPC needs the optional peer dependency ${name}: npm install ${name}`, { cause });
}
