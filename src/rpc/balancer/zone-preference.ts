import type { Instance } from '../../discovery/types.js';
import type { Balancer } from './balancer.js';
import { p2cEwma } from './p2c-ewma.js';

export interface ZonePreferenceOptions {
  /** The caller's zone. */
  zone: string;
  /** Chooses among the preferred instances (default p2c-EWMA). */
  balancer?: Balancer;
  /** Fewest instances the zone must have available to be preferred (default 1). */
  minInstances?: number;
  /**
   * Share of the zone's instances that must be available (not ejected) for it to be preferred
   * (default 50): below it, the few left would take the whole zone's load, so spill to all zones.
   */
  minAvailablePercent?: number;
}

/**
 * Keeps calls in the caller's zone (lower latency, no cross-zone traffic charges) while the zone has
 * enough available instances; otherwise balances over all zones.
 */
export function zonePreference(options: ZonePreferenceOptions): Balancer {
  const { zone, minInstances = 1, minAvailablePercent = 50 } = options;
  const inner = options.balancer ?? p2cEwma();
  let lastList: readonly Instance[] | undefined;
  let lastLocal: readonly Instance[] = [];

  const local = (list: readonly Instance[]) => {
    if (list !== lastList) {
      lastList = list;
      lastLocal = list.filter((i) => i.zone === zone);
    }
    return lastLocal;
  };

  return {
    pick(instances, hint) {
      const here = local(instances);
      const total = hint?.all && hint.all !== instances ? count(hint.all, zone) : here.length;
      const enough = here.length >= minInstances && here.length * 100 >= minAvailablePercent * total;
      return inner.pick(enough && here.length > 0 ? here : instances, hint);
    },
    onStart: (instance) => inner.onStart?.(instance),
    onEnd: (instance, outcome) => inner.onEnd?.(instance, outcome),
  };
}

function count(list: readonly Instance[], zone: string): number {
  let n = 0;
  for (const i of list) if (i.zone === zone) n++;
  return n;
}
