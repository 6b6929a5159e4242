import { Resolver as DnsClient } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SwitchyardError } from '../../errors/index.js';
import { Emitter } from '../../resilience/events.js';
import type { Event } from '../../resilience/index.js';
import { hubDefaults } from '../hub-api.js';
import type { Instance, Protocol, Resolver } from '../types.js';
import { RefreshingCache } from './cache.js';
import { hostPort, unavailable, type FreshEvent, type StaleEvent } from './common.js';

export interface DnsResolverOptions {
  /** `host:port` of the DNS server (e.g. the hub's `127.0.0.1:8600`); default: the system's servers. */
  server?: string;
  /** Names are `<service>.service.<domain>` (default domain `switchyard`, as the hub serves). */
  domain?: string;
  /**
   * Full names per service, e.g. a Kubernetes headless service's SRV name
   * `_http._tcp.orders.default.svc.cluster.local`. A key `orders@2` names major version 2 of orders;
   * DNS carries no versions, so without such a key `major` is not filtered on.
   */
  names?: Readonly<Record<string, string>>;
  /** Which endpoint of an instance the records describe (default `http`). */
  protocol?: Protocol;
  /** Port for names that have only A/AAAA records (no SRV). */
  port?: number;
  /** How long an answer is served before it is looked up again (default 5000 ms). */
  cacheMs?: number;
  /** Per query attempt (default 1000 ms), and attempts per query (default 2). */
  timeoutMs?: number;
  tries?: number;
}

export interface DnsResolver extends Resolver {
  close(): Promise<void>;
  readonly onStale: Event<StaleEvent>;
  readonly onFresh: Event<FreshEvent>;
}

/** Answers that mean "no such records" rather than "the server could not answer". */
const noRecords = new Set(['ENODATA', 'ENOTFOUND']);

/**
 * Platform-provided discovery: instances from DNS SRV records (targets resolved to A/AAAA unless
 * they are addresses already), or from A/AAAA records and a configured port when there is no SRV.
 * Only the lowest SRV priority is used, as RFC 2782 asks; higher ones are fallbacks the platform
 * promotes by removing records. Answers are cached for `cacheMs` and served stale while DNS fails.
 */
export function dnsResolver(options: DnsResolverOptions = {}): DnsResolver {
  const client = new DnsClient({ timeout: options.timeoutMs ?? 1000, tries: options.tries ?? 2 });
  if (options.server) client.setServers([options.server]);
  const domain = options.domain ?? hubDefaults.domain;
  const protocol = options.protocol ?? 'http';
  const stale = new Emitter<StaleEvent>();
  const fresh = new Emitter<FreshEvent>();
  const cache = new RefreshingCache<readonly Instance[]>({
    ttlMs: options.cacheMs ?? 5000,
    onStale: (name, instances, error) =>
      stale.emit({ service: serviceOf.get(name) ?? name, instances: instances.length, error }),
    onFresh: (name) => fresh.emit({ service: serviceOf.get(name) ?? name }),
  });
  const serviceOf = new Map<string, string>();
  // The previous answer per name, so an unchanged answer keeps its array (balancers cache by reference).
  const previous = new Map<string, { signature: string; instances: readonly Instance[] }>();
  let closed = false;

  const orEmpty = <T>(query: Promise<T[]>): Promise<T[]> =>
    query.catch((error: { code?: string }) => {
      if (error.code && noRecords.has(error.code)) return [];
      throw error;
    });
  const addressesOf = async (host: string): Promise<string[]> => {
    if (isIP(host)) return [host];
    const [v4, v6] = await Promise.all([orEmpty(client.resolve4(host)), orEmpty(client.resolve6(host))]);
    return [...v4, ...v6];
  };

  async function lookup(service: string, name: string): Promise<readonly Instance[]> {
    const make = (address: string, port: number, labels: Record<string, string>): Instance => ({
      id: hostPort(address, port),
      service,
      version: '',
      endpoints: { [protocol]: hostPort(address, port) },
      labels,
      health: 'passing',
    });
    const found: Instance[] = [];
    const srv = await orEmpty(client.resolveSrv(name));
    if (srv.length > 0) {
      const best = Math.min(...srv.map((r) => r.priority));
      const chosen = srv.filter((r) => r.priority === best);
      const addresses = await Promise.all(chosen.map((r) => addressesOf(r.name)));
      chosen.forEach((r, i) => {
        const labels = { 'dns.target': r.name, 'dns.weight': String(r.weight) };
        for (const address of addresses[i]!) found.push(make(address, r.port, labels));
      });
    } else {
      // `_http._tcp.orders.default.svc.cluster.local` → `orders.default.svc.cluster.local`
      const host = name.replace(/^(_[^.]+\.)+/, '');
      const addresses = await addressesOf(host);
      if (addresses.length > 0 && options.port === undefined) {
        throw unavailable(service, `${name} has no SRV records and no port is configured for its A records`);
      }
      for (const address of addresses) found.push(make(address, options.port!, { 'dns.target': host }));
    }
    return keep(name, dedupe(found));
  }

  function keep(name: string, instances: Instance[]): readonly Instance[] {
    instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const signature = JSON.stringify(instances);
    const last = previous.get(name);
    if (last?.signature === signature) return last.instances;
    const frozen = Object.freeze(instances);
    previous.set(name, { signature, instances: frozen });
    return frozen;
  }

  return {
    async resolve(service, resolveOptions) {
      if (closed) throw unavailable(service, 'the resolver is closed');
      const major = resolveOptions?.major;
      const name =
        (major === undefined ? undefined : options.names?.[`${service}@${major}`]) ??
        options.names?.[service] ??
        `${service}.service.${domain}`;
      serviceOf.set(name, service);
      return cache
        .get(name, () => lookup(service, name))
        .catch((error: unknown) => {
          if (error instanceof SwitchyardError) throw error;
          throw unavailable(
            service,
            `DNS lookup of ${name} failed: ${(error as { code?: string }).code}`,
            error,
          );
        });
    },
    onStale: stale.event,
    onFresh: fresh.event,
    async close() {
      closed = true;
      client.cancel();
      await cache.settled();
    },
  };
}

function dedupe(instances: Instance[]): Instance[] {
  const seen = new Set<string>();
  return instances.filter((i) => !seen.has(i.id) && (seen.add(i.id), true));
}
