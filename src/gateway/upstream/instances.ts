import type { Instance, Resolver } from '../../discovery/index.js';
import { hubResolver, staticResolver } from '../../discovery/index.js';
import type { GatewayFile } from '../config/schema.js';

/** Which instances of a service a route sends to (a canary, or everything but the canary). */
export interface InstanceFilter {
  /** Distinguishes pickers: one per service, major and filter. */
  readonly key: string;
  accepts(instance: Instance): boolean;
}

/**
 * A resolver that hides the instances a filter rejects. Each list it passes on is computed once per
 * list the source hands out, so balancers downstream keep their per-list caches.
 */
export function filteredResolver(source: Resolver, filter: InstanceFilter): Resolver {
  const memo = new WeakMap<readonly Instance[], readonly Instance[]>();
  return {
    async resolve(service, options) {
      const all = await source.resolve(service, options);
      let kept = memo.get(all);
      if (!kept) memo.set(all, (kept = Object.freeze(all.filter((i) => filter.accepts(i)))));
      return kept;
    },
  };
}

/** Instances of this version and carrying these labels. */
export function instanceFilter(spec: {
  version?: string;
  labels?: Readonly<Record<string, string>>;
}): InstanceFilter {
  const labels = Object.entries(spec.labels ?? {});
  return {
    key: JSON.stringify([spec.version ?? null, labels]),
    accepts: (i) =>
      (spec.version === undefined || i.version === spec.version) &&
      labels.every(([name, value]) => i.labels[name] === value),
  };
}

export function negate(filter: InstanceFilter): InstanceFilter {
  return { key: `not ${filter.key}`, accepts: (i) => !filter.accepts(i) };
}

/**
 * The resolver of a configuration: static instances, the hub, or both (static entries answer for
 * their services, the hub for the rest). When nothing is said, the hub `SWITCHYARD_HUB_URL` names, else
 * the default address.
 */
export function resolverOf(discovery: GatewayFile['discovery']): Resolver {
  const fixed = discovery?.static;
  // SWITCHYARD_HUB_URL is how `switchyard up` (and every other command) names the hub of a system.
  const hubSpec =
    discovery?.hub ?? (fixed ? undefined : (process.env.SWITCHYARD_HUB_URL ?? 'http://127.0.0.1:7070'));
  const hub =
    hubSpec === undefined
      ? undefined
      : hubResolver(
          typeof hubSpec === 'string'
            ? { url: hubSpec }
            : { url: hubSpec.url, ...(hubSpec.token ? { token: hubSpec.token } : {}) },
        );
  if (!fixed) return hub!;
  const instances: Instance[] = [];
  for (const [service, list] of Object.entries(fixed)) {
    for (const [n, entry] of list.entries()) {
      const spec = typeof entry === 'string' ? { address: entry } : entry;
      instances.push({
        id: spec.id ?? `${service}-${n + 1}`,
        service,
        version: spec.version ?? '',
        endpoints: { [spec.protocol ?? 'http']: spec.address },
        labels: spec.labels ?? {},
        health: 'passing',
      });
    }
  }
  const local = staticResolver({ services: instances });
  const named = new Set(Object.keys(fixed));
  if (!hub) return local;
  return {
    resolve: (service, options) => (named.has(service) ? local : hub).resolve(service, options),
    close: () => hub.close(),
  };
}
