import type { Instance } from '../../discovery/types.js';
import type { Outcome } from '../endpoint.js';

/** What a caller may tell a balancer about one call. */
export interface PickHint {
  /** The call's affinity key (e.g. a partition key), for consistent hashing. */
  readonly key?: string;
  /**
   * The instances before outlier ejection, when `pick` gets fewer: lets zone preference judge how
   * much of a zone is left.
   */
  readonly all?: readonly Instance[];
}

/**
 * Chooses one instance per call. `pick` sees only instances fit to take calls (already filtered by
 * protocol and outlier ejection); `onStart`/`onEnd` bracket each call sent to the picked instance, so
 * balancers that weigh load or latency can keep score. One balancer serves one target service; it is
 * not shared across services.
 */
export interface Balancer {
  pick(instances: readonly Instance[], hint?: PickHint): Instance | undefined;
  onStart?(instance: Instance): void;
  onEnd?(instance: Instance, outcome: Outcome): void;
}

/** Randomness, injectable so distribution tests are deterministic. */
export type Random = () => number;

/**
 * Per-instance score, keyed by id. Entries of instances that left are dropped now and then (when the
 * map has grown well past the current list), so churn does not grow it without bound; a call still
 * in flight to a dropped instance ends on a fresh entry, which is harmless.
 */
export class InstanceStats<S> {
  readonly #create: () => S;
  readonly #map = new Map<string, S>();

  constructor(create: () => S) {
    this.#create = create;
  }

  get(instance: Instance): S {
    let s = this.#map.get(instance.id);
    if (!s) {
      s = this.#create();
      this.#map.set(instance.id, s);
    }
    return s;
  }

  prune(current: readonly Instance[]): void {
    if (this.#map.size <= 2 * current.length + 16) return;
    const keep = new Set(current.map((i) => i.id));
    for (const id of this.#map.keys()) if (!keep.has(id)) this.#map.delete(id);
  }
}

/** Whether an outcome says the instance itself failed (not the caller, not a local refusal). */
export function instanceFailed(outcome: Outcome): boolean {
  return !outcome.ok && !outcome.callerFault;
}
