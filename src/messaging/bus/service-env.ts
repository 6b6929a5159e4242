import type { Messaging } from './types.js';

// A service process started by `switchyard service` / `switchyard up` hands every service factory
// the process's messaging (one bus per process, on the broker the manifest names).
declare module '../../runtime/service.js' {
  interface ServiceEnv {
    readonly messaging: Messaging;
  }
}
