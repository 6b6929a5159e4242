import { pascalCase } from '../../contract/proto-numbering.js';
import type { AnyContract } from '../../contract/index.js';

/**
 * Names as the exported `.proto` declares them, so a client compiled from that file (or built from
 * reflection) calls exactly these paths: `package <protoPackage>; service <PascalCase(name)>`.
 */
export function grpcServiceName(contract: AnyContract): string {
  return `${contract.protoPackage}.${pascalCase(contract.name)}`;
}

export function grpcMethodName(operation: string): string {
  return pascalCase(operation);
}

/** The HTTP/2 `:path` of an operation: `/<package>.<Service>/<Method>`. */
export function grpcMethodPath(contract: AnyContract, operation: string): string {
  return `/${grpcServiceName(contract)}/${grpcMethodName(operation)}`;
}
