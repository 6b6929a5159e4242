import type { AnyContract } from '../contract/index.js';
import type { Resolver } from '../discovery/types.js';
import {
  resilienceInterceptor,
  type ResilienceConfig,
  type ResilienceInterceptor,
} from '../resilience/index.js';
import type { Interceptor, Transport, TransportResolver } from '../runtime/index.js';
import type { Balancer } from './balancer/balancer.js';
import { discoveryPicker } from './balancer/picker.js';
import { grpcTransport } from './grpc/index.js';
import { httpTransport } from './http/transport.js';
import { natsTransport } from './nats/index.js';

export interface RemoteServicesOptions {
  /** Where instances come from (hub, DNS, static list). Not needed for NATS, which balances itself. */
  resolver?: Resolver;
  /** Protocol per target service; `default` for the rest. HTTP unless said otherwise. */
  protocol?: { default?: RemoteProtocol } & Record<string, RemoteProtocol>;
  balancer?: () => Balancer;
  /** Client-side policies per service and per operation. */
  resilience?: ResilienceConfig;
  /** NATS servers for services reached over NATS. */
  nats?: { servers?: string | string[]; subjectPrefix?: string };
}

export type RemoteProtocol = 'http' | 'grpc' | 'nats';

/**
 * Defaults every remote call gets unless configured otherwise: a per-attempt timeout, a breaker that
 * opens at half the calls failing, retries of idempotent operations, and a generous bulkhead.
 */
export const defaultResilience: ResilienceConfig = {
  default: {
    timeoutMs: 10_000,
    bulkhead: { maxConcurrent: 512, maxQueue: 2048 },
    circuitBreaker: {
      window: { type: 'count', size: 50 },
      minimumCalls: 20,
      failureRateThreshold: 50,
      slowCallRateThreshold: 100,
      slowCallDurationMs: 10_000,
      openDurationMs: 5_000,
      halfOpen: { permittedCalls: 3, maxWaitMs: 10_000 },
    },
    retry: { maxAttempts: 3, backoff: { initialMs: 25, maxMs: 1_000, multiplier: 2 } },
  },
  retryBudget: { maxTokens: 10, tokenRatio: 0.1 },
};

export interface RemoteServices {
  transports: TransportResolver;
  interceptors: Interceptor[];
  resilience: ResilienceInterceptor;
}

/**
 * What a host needs to call services in other processes: a transport per target service (balanced
 * over the instances the resolver reports) and the resilient client proxy, as host options.
 */
export function remoteServices(options: RemoteServicesOptions = {}): RemoteServices {
  const resilience = resilienceInterceptor(options.resilience ?? defaultResilience);
  const transports: TransportResolver = (contract: AnyContract): Transport | undefined => {
    const protocol = options.protocol?.[contract.name] ?? options.protocol?.default ?? 'http';
    if (protocol === 'nats') return natsTransport({ ...options.nats });
    if (!options.resolver) return undefined;
    const endpoints = discoveryPicker({
      resolver: options.resolver,
      service: contract.name,
      major: contract.major,
      protocol,
      ...(options.balancer ? { balancer: options.balancer() } : {}),
    });
    return protocol === 'grpc' ? grpcTransport({ endpoints }) : httpTransport({ endpoints });
  };
  return { transports, interceptors: [resilience], resilience };
}
