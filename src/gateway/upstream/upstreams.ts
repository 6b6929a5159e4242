import type { Resolver } from '../../discovery/index.js';
import type { Metrics } from '../../observability/index.js';
import {
  resilienceInterceptor,
  type ResilienceConfig,
  type ResilienceInterceptor,
} from '../../resilience/index.js';
import { discoveryPicker } from '../../rpc/balancer/picker.js';
import { staticEndpoint, type EndpointPicker } from '../../rpc/endpoint.js';
import { remoteServices, type RemoteProtocol } from '../../rpc/remote-services.js';
import { compose, createHost, type Host, type Interceptor, type Next } from '../../runtime/index.js';
import { proxyContract } from './proxy-contract.js';
import { createPools, forwarder } from './forward.js';
import { filteredResolver, type InstanceFilter } from './instances.js';

/** Where a proxied request goes: instances found through discovery, or one fixed origin. */
export type ForwardTarget =
  | { readonly service: string; readonly major?: number; readonly filter?: InstanceFilter }
  | { readonly url: string };

export interface Upstreams {
  /** Typed calls (gRPC, version adapters, composition): the same client stack as service-to-service calls. */
  readonly host: Host;
  readonly resilience: ResilienceInterceptor;
  /** Byte-for-byte forwarding to a target, behind the same resilience policies; one chain per target. */
  forward(target: ForwardTarget): Next;
  close(): Promise<void>;
}

export interface UpstreamsOptions {
  resolver: Resolver;
  /** How each contract's services are called (HTTP unless said). */
  protocols: Record<string, RemoteProtocol>;
  resilience: ResilienceConfig;
  metrics?: Metrics;
}

/**
 * The gateway's side of the services: `remoteServices` (discovery, balancing, outlier ejection,
 * timeouts, retries of idempotent operations, breakers, bulkheads) for typed calls, and the same
 * resilience interceptor around the byte forwarder, so a breaker opened by one kind of call protects
 * the other.
 */
export function createUpstreams(options: UpstreamsOptions): Upstreams {
  const { resolver } = options;
  const remote = remoteServices({ resolver, protocol: options.protocols, resilience: options.resilience });
  const metrics = options.metrics;
  if (metrics) metrics.observeResilience(remote.resilience.events);
  const interceptors: Interceptor[] = [...(metrics ? [metrics.client] : []), ...remote.interceptors];
  const host = createHost({ name: 'gateway', transports: remote.transports, interceptors });
  const pools = createPools();
  const chains = new Map<string, Next>();

  function pickerOf(target: ForwardTarget): EndpointPicker {
    if ('url' in target) return staticEndpoint(target.url);
    return discoveryPicker({
      resolver: target.filter ? filteredResolver(resolver, target.filter) : resolver,
      service: target.service,
      ...(target.major === undefined ? {} : { major: target.major }),
      protocol: 'http',
    });
  }

  return {
    host,
    resilience: remote.resilience,
    forward(target) {
      const key =
        'url' in target ? target.url : `${target.service}@${target.major ?? '*'} ${target.filter?.key ?? ''}`;
      let chain = chains.get(key);
      if (!chain) {
        // Forwarded requests are measured per route by the gateway itself; the RPC client metrics are for typed calls.
        chain = compose(remote.interceptors, forwarder({ endpoints: pickerOf(target), pools }));
        chains.set(key, chain);
      }
      return chain;
    },
    async close() {
      await Promise.all([host.close(), pools.close()]);
    },
  };
}

/**
 * Builds every policy the configuration describes once, on a throwaway interceptor, so a bad value
 * (a multiplier below 1, a negative timeout) fails the configuration rather than the first request.
 */
export function checkResilience(config: ResilienceConfig): void {
  const probe = resilienceInterceptor(config);
  const keys = ['probe.call', ...Object.keys(config.operations ?? {})];
  for (const key of keys) {
    const dot = key.lastIndexOf('.');
    const service = dot < 0 ? key : key.slice(0, dot);
    const operation = dot < 0 ? 'call' : key.slice(dot + 1);
    const contract = proxyContract({ upstream: service, major: 0, route: operation });
    probe.policies(contract, `${operation}:GET`);
  }
}
