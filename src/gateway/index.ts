export { createGateway, type Gateway, type GatewayOptions } from './server.js';
export { defineGateway, type GatewayConfig, type ModuleImporter, type Protocol } from './types.js';
export { loadGatewayConfig, freshImport, type LoadedConfig, type LoadOptions } from './config/read.js';
export { GatewayConfigError } from './config/errors.js';
export type { GatewayFile } from './config/schema.js';
export {
  versionAdapter,
  isVersionAdapter,
  type VersionAdapter,
  type OperationAdapter,
  type OperationAdapters,
} from './versions/adapter.js';
export type { Identity } from './policies/seams.js';
