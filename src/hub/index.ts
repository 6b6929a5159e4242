export { startHub, type Hub, type HubOptions } from './hub.js';
export { createHubHttpServer, type HubHttpOptions, type HubHttpServer } from './http/server.js';
export { startDnsServer, type DnsServer, type DnsServerOptions } from './dns/server.js';
export { isLoopback } from './http/auth.js';
export { openFlagStore, type FlagSnapshot, type FlagStore, type WriteOptions } from './flags-store.js';
