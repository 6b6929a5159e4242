export { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
export { contract, operation, command, event, isContract } from './define.js';
export type { OperationOptions, CommandOptions, EventOptions, ContractOptions } from './define.js';
export { ContractDefinitionError } from './definition-error.js';
export { validator, type Validator } from './validator.js';
export { commandChannel, eventChannel, messageType } from './channels.js';
export { toSnapshot, toJsonSchema } from './snapshot.js';
export type {
  ContractSnapshot,
  OperationSnapshot,
  CommandSnapshot,
  EventSnapshot,
  JsonSchema,
} from './snapshot.js';
export { readHistory, readSnapshotFile, baselineFor, snapshotFileName } from './history.js';
export { parseSemver, compareSemver, bumpBetween, type Semver, type Bump } from './semver.js';
export type * from './types.js';
export { exportProto, protoNumberingFor, type ExportProtoOptions } from './export/proto.js';
export { exportOpenApi, type OpenApiOptions, type OpenApiDocument } from './export/openapi.js';
export { exportAsyncApi, type AsyncApiOptions, type AsyncApiDocument } from './export/asyncapi.js';
export {
  assignFieldNumbers,
  protoMessages,
  type ProtoNumbering,
  type ProtoMessageNumbers,
} from './proto-numbering.js';
export * from './evolution/index.js';
