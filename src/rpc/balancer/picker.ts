import { SwitchyardError } from '../../errors/index.js';
import type { Instance, Resolver } from '../../discovery/types.js';
import type { Call } from '../../runtime/index.js';
import type { Endpoint, EndpointPicker } from '../endpoint.js';
import type { Balancer } from './balancer.js';
import { outlierDetector, type OutlierDetector, type OutlierOptions } from './outlier.js';
import { p2cEwma } from './p2c-ewma.js';
import { zonePreference } from './zone-preference.js';

export interface DiscoveryPickerOptions {
  /** Where instances come from; expected to cache (the hub, DNS and static resolvers do). */
  resolver: Resolver;
  service: string;
  /** Only instances of this major version of the contract. */
  major?: number;
  /** Which endpoint of an instance to call. */
  protocol: 'http' | 'grpc';
  /** Default p2c-EWMA. One balancer per picker: it keeps per-instance scores. */
  balancer?: Balancer;
  /** Passive outlier ejection: options, a shared detector, or false to turn it off (default on). */
  outlier?: OutlierOptions | OutlierDetector | false;
  /** The caller's zone: prefer instances there (wraps `balancer` in zone preference). */
  zone?: string;
  /** The call's affinity key, for consistent hashing (e.g. the partition key of the input). */
  key?: (call: Call) => string | undefined;
}

/** An endpoint that remembers its instance, so the outcome reaches the right balancer entry. */
class PickedEndpoint implements Endpoint {
  readonly address: string;
  readonly instanceId: string;
  readonly instance: Instance;
  /** `done` was called: a second report is ignored. */
  reported = false;

  constructor(instance: Instance, address: string) {
    this.instance = instance;
    this.address = address;
    this.instanceId = instance.id;
  }
}

/**
 * The endpoint picker transports use when a service is found through discovery: resolve (from the
 * resolver's cache), drop instances without the protocol and ejected ones, let the balancer choose,
 * and feed each outcome back to the balancer and the outlier detector.
 */
export function discoveryPicker(options: DiscoveryPickerOptions): EndpointPicker {
  const { resolver, service, major, protocol, key } = options;
  const base = options.balancer ?? p2cEwma();
  const balancer = options.zone === undefined ? base : zonePreference({ zone: options.zone, balancer: base });
  const outlier =
    options.outlier === false
      ? undefined
      : isDetector(options.outlier)
        ? options.outlier
        : outlierDetector(options.outlier);
  const resolveOptions = major === undefined ? undefined : { major };
  let source: readonly Instance[] | undefined;
  let serving: readonly Instance[] = [];

  // Recomputed only when the resolver hands out a new list, so steady state allocates one endpoint per pick.
  const withProtocol = (list: readonly Instance[]) => {
    if (list !== source) {
      source = list;
      serving = list.every((i) => i.endpoints[protocol]) ? list : list.filter((i) => i.endpoints[protocol]);
    }
    return serving;
  };

  return {
    async pick(call) {
      const candidates = withProtocol(await resolver.resolve(service, resolveOptions));
      if (candidates.length === 0) {
        throw new SwitchyardError('UNAVAILABLE', `no instance of ${service} serves ${protocol}`, {
          details: { notSent: true, service },
        });
      }
      const available = outlier ? outlier.filter(candidates) : candidates;
      const hintKey = key?.(call);
      const instance = balancer.pick(
        available,
        hintKey === undefined ? { all: candidates } : { key: hintKey, all: candidates },
      );
      if (!instance) {
        throw new SwitchyardError('UNAVAILABLE', `no available instance of ${service}`, {
          details: { notSent: true, service },
        });
      }
      balancer.onStart?.(instance);
      return new PickedEndpoint(instance, instance.endpoints[protocol]!);
    },
    done(endpoint, outcome) {
      if (!(endpoint instanceof PickedEndpoint) || endpoint.reported) return;
      endpoint.reported = true;
      balancer.onEnd?.(endpoint.instance, outcome);
      outlier?.record(endpoint.instance.id, outcome);
    },
  };
}

function isDetector(value: OutlierOptions | OutlierDetector | undefined): value is OutlierDetector {
  return typeof (value as OutlierDetector | undefined)?.record === 'function';
}
