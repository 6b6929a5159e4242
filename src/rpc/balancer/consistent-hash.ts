import type { Instance } from '../../discovery/types.js';
import type { Balancer } from './balancer.js';
import { random } from './random.js';
import { hashString } from '../../internal/hash.js';

export interface ConsistentHashOptions {
  /** Points per instance on the ring (default 160, as ketama): more points spread keys more evenly. */
  virtualNodes?: number;
  /** For calls without a key (default: random). */
  fallback?: Balancer;
}

interface Ring {
  list: readonly Instance[];
  signature: string;
  points: Uint32Array;
  /** Index into `list` of the instance owning each point. */
  owners: Uint32Array;
}

/**
 * Calls with the same key go to the same instance (cache locality, per-key ordering on the server).
 * A hash ring with virtual nodes: when an instance leaves only its keys move (about 1/N of them),
 * and they spread over all the others. Keyless calls go to `fallback`.
 */
export function consistentHash(options: ConsistentHashOptions = {}): Balancer {
  const virtualNodes = options.virtualNodes ?? 160;
  const fallback = options.fallback ?? random();
  let ring: Ring | undefined;

  function ringFor(list: readonly Instance[]): Ring {
    if (ring?.list === list) return ring;
    const signature = list.map((i) => i.id).join('\n');
    if (ring?.signature === signature) return ((ring.list = list), ring);
    const entries: { point: number; owner: number }[] = [];
    list.forEach((instance, owner) => {
      for (let v = 0; v < virtualNodes; v++) entries.push({ point: hash32(`${instance.id}#${v}`), owner });
    });
    // Collisions are settled by id, so the ring depends on the set of instances, not on their order.
    entries.sort((x, y) => x.point - y.point || compare(list[x.owner]!.id, list[y.owner]!.id));
    ring = {
      list,
      signature,
      points: Uint32Array.from(entries, (e) => e.point),
      owners: Uint32Array.from(entries, (e) => e.owner),
    };
    return ring;
  }

  return {
    pick(instances, hint) {
      if (hint?.key === undefined) return fallback.pick(instances, hint);
      if (instances.length <= 1) return instances[0];
      const { points, owners } = ringFor(instances);
      const h = hash32(hint.key);
      let lo = 0;
      let hi = points.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (points[mid]! < h) lo = mid + 1;
        else hi = mid;
      }
      return instances[owners[lo === points.length ? 0 : lo]!];
    },
    onStart: (instance) => fallback.onStart?.(instance),
    onEnd: (instance, outcome) => fallback.onEnd?.(instance, outcome),
  };
}

/** The ring's hash: murmur3 of the UTF-8 bytes, the same function that places messages on partitions. */
export const hash32 = (s: string): number => hashString(s);

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
