import type { AnyContract } from '../contract/index.js';
import type { ContractEntrySpec, GatewayFile, VersionSpec } from './config/schema.js';
import type { VersionAdapter } from './versions/adapter.js';

export type Protocol = 'http' | 'grpc';

/** A contract the gateway serves, and how it calls the services behind it. */
export interface ServedContract {
  readonly contract: AnyContract;
  readonly protocol: Protocol;
}

/**
 * A configuration written in TypeScript (`export default defineGateway({...})`): the YAML shape, where
 * contracts may be the contract objects themselves and version adapters the adapters themselves.
 */
export interface GatewayConfig extends Omit<GatewayFile, 'contracts' | 'versions'> {
  contracts?: readonly (
    string | ContractEntrySpec | AnyContract | { contract: AnyContract; protocol?: Protocol }
  )[];
  versions?: readonly (VersionSpec | { adapter: VersionAdapter })[];
}

export function defineGateway(config: GatewayConfig): GatewayConfig {
  return config;
}

/** Loads a module of the user's (configuration, contracts, adapters); a new evaluation per call for reloads. */
export type ModuleImporter = (path: string) => Promise<Record<string, unknown>>;
