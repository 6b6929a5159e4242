import { join } from 'node:path';
import { hubDefaults } from '../discovery/hub-api.js';
import {
  createEtcdBackend,
  createRegistry,
  createSqliteBackend,
  type Registry,
  type RegistryBackend,
  type Transition,
} from '../discovery/registry/index.js';
import { SwitchyardError } from '../errors/index.js';
import { startDnsServer, type DnsServer } from './dns/server.js';
import { openFlagStore, type FlagStore } from './flags-store.js';
import { isLoopback } from './http/auth.js';
import { createHubHttpServer, type HubHttpServer } from './http/server.js';

export interface HubOptions {
  /** Listen address of the HTTP API and DNS (default 127.0.0.1). Off loopback a token is required. */
  host?: string;
  /** HTTP port (default 7070; 0 picks one). */
  port?: number;
  /** DNS port, UDP and TCP (default 8600; 0 picks one). */
  dnsPort?: number;
  /** DNS zone (default `switchyard`). */
  domain?: string;
  /** Where the SQLite backend keeps `registry.db`, and the hub its `flags.json` (default `.switchyard/hub` under the cwd). */
  dataDir?: string;
  backend?: 'sqlite' | 'etcd';
  /** etcd endpoints for the etcd backend (default http://127.0.0.1:2379). */
  etcd?: string | string[];
  /** etcd key prefix: hubs that share a registry use the same one. */
  etcdPrefix?: string;
  /** Bearer token required for writes. */
  token?: string;
  /** Missed heartbeats before eviction (default 3). */
  evictAfter?: number;
  /** TTL of registrations that name none (default 10 s). */
  ttlSeconds?: number;
  /** TTL of DNS answers in seconds (default 5). */
  dnsTtl?: number;
  /** Run active health checks (default true). */
  checks?: boolean;
  onTransition?: (transition: Transition) => void;
  onError?: (error: unknown) => void;
}

export interface Hub {
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:7070`. */
  readonly url: string;
  readonly port: number;
  readonly dnsPort: number;
  readonly domain: string;
  readonly backend: string;
  readonly registry: Registry;
  /** Feature flags served at `/v1/flags`. */
  readonly flags: FlagStore;
  close(): Promise<void>;
}

/** Starts the hub: registry (SQLite or etcd) with health checks, its HTTP API and its DNS server. */
export async function startHub(options: HubOptions = {}): Promise<Hub> {
  const host = options.host ?? hubDefaults.host;
  const domain = (options.domain ?? hubDefaults.domain).replace(/^\.+|\.+$/g, '').toLowerCase();
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(domain))
    throw new SwitchyardError(
      'INVALID_ARGUMENT',
      `--domain ${JSON.stringify(options.domain)} is not a DNS name`,
    );
  if (!isLoopback(host) && !options.token)
    throw new SwitchyardError(
      'FAILED_PRECONDITION',
      `refusing to listen on ${host} without a token: anyone who can reach the hub could register or ` +
        'remove instances. Pass --token <secret> (or set SWITCHYARD_HUB_TOKEN), or listen on 127.0.0.1',
    );

  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  };
  try {
    const backend = await openBackend(options);
    const registry = await createRegistry({
      backend,
      ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
      ...(options.checks === false ? { checks: false } : {}),
      ...(options.onTransition ? { onTransition: options.onTransition } : {}),
    }).catch(async (error: unknown) => {
      await backend.close();
      throw error;
    });
    closers.push(() => registry.close());
    const flags = await openFlagStore({ path: join(dataDirOf(options), 'flags.json') });

    const http: HubHttpServer = createHubHttpServer({
      registry,
      flags,
      ...(options.token ? { token: options.token } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
    });
    await new Promise<void>((done, fail) => {
      http.server.once('error', fail);
      http.server.listen(
        options.port ?? hubDefaults.port,
        host,
        () => (http.server.off('error', fail), done()),
      );
    });
    closers.push(() => http.close());
    const port = (http.server.address() as { port: number }).port;

    const dns: DnsServer = await startDnsServer({
      host,
      port: options.dnsPort ?? hubDefaults.dnsPort,
      domain,
      ttl: options.dnsTtl ?? 5,
      lookup: async (service) => (await registry.service(service)).instances,
    });
    closers.push(() => dns.close());

    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      port,
      dnsPort: dns.port,
      domain,
      backend: backend.name,
      registry,
      flags,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function openBackend(options: HubOptions): Promise<RegistryBackend> {
  const evictAfter = options.evictAfter ?? hubDefaults.evictAfter;
  if (options.backend === 'etcd')
    return createEtcdBackend({
      evictAfter,
      ...(options.etcd === undefined ? {} : { hosts: options.etcd }),
      ...(options.etcdPrefix === undefined ? {} : { prefix: options.etcdPrefix }),
    });
  return createSqliteBackend({ path: join(dataDirOf(options), 'registry.db'), evictAfter });
}

function dataDirOf(options: HubOptions): string {
  return options.dataDir ?? join(process.cwd(), '.switchyard', 'hub');
}
