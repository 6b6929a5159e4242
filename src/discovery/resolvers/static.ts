import type { Instance, Protocol, Resolver } from '../types.js';
import { cacheKey, filterMajor } from './common.js';

export interface StaticResolverOptions {
  /**
   * The instances: full `Instance` objects, or per service a list of `host:port` addresses (which
   * become passing instances of unknown version serving `protocol`).
   */
  services: Readonly<Record<string, readonly string[]>> | readonly Instance[];
  /** The protocol an address of the short form serves (default `http`). */
  protocol?: Protocol;
}

/** A fixed list of instances: for tests, local set-ups and addresses handed out by configuration. */
export function staticResolver(options: StaticResolverOptions): Resolver {
  const protocol = options.protocol ?? 'http';
  const byService = new Map<string, Instance[]>();
  const add = (instance: Instance) => {
    const list = byService.get(instance.service) ?? [];
    list.push(instance);
    byService.set(instance.service, list);
  };
  if (Array.isArray(options.services)) {
    for (const instance of options.services as readonly Instance[]) add(instance);
  } else {
    for (const [service, addresses] of Object.entries(
      options.services as Record<string, readonly string[]>,
    )) {
      for (const address of addresses) {
        add({
          id: address,
          service,
          version: '',
          endpoints: { [protocol]: address },
          labels: {},
          health: 'passing',
        });
      }
    }
  }
  // Frozen and shared across calls: balancers cache per-list work by reference.
  const frozen = new Map([...byService].map(([service, list]) => [service, Object.freeze(list)] as const));
  const empty: readonly Instance[] = Object.freeze([]);
  const byMajor = new Map<string, readonly Instance[]>();
  return {
    resolve: (service, resolveOptions) => {
      const major = resolveOptions?.major;
      const key = cacheKey(service, major);
      let list = byMajor.get(key);
      if (!list) {
        list = Object.freeze(filterMajor(frozen.get(service) ?? empty, major));
        byMajor.set(key, list);
      }
      return Promise.resolve(list);
    },
  };
}
