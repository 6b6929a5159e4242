/** Types for modules that `switchyard up` loads (manifests, traffic drivers). */
export type { TrafficEnv } from './commands/up.js';
export { brokerUrlOf, databaseOf, readManifest, ManifestError, type Manifest } from './manifest.js';
export { freeTcpPort } from './up/ports.js';
export { defineLoad, type LoadMix, type LoadRequest, type Settle, type LoadEnv } from './load/mix.js';
