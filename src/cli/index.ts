/** Types for modules that `switchyard up` loads (manifests, traffic drivers). */
export type { TrafficEnv } from './commands/up.js';
export { readManifest, ManifestError, type Manifest } from './manifest.js';
