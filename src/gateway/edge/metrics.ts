import { Counter } from 'prom-client';
import { createMetrics, type Metrics } from '../../observability/index.js';
import { routeMetrics } from './route-metrics.js';

/** The gateway's Prometheus metrics, beside the process and RPC client metrics of `createMetrics`. */
export interface GatewayMetrics {
  readonly base: Metrics;
  /** One answered request: by route (`unmatched` for none), method and status. */
  request(route: string, method: string, status: number, seconds: number): void;
  /** A call to a deprecated version or operation, by client. */
  deprecated(route: string, version: string, client: string): void;
  rateLimited(route: string): void;
  reload(result: 'ok' | 'failed'): void;
}

export function createGatewayMetrics(options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const base = createMetrics({
    labels: { process: 'gateway' },
    defaultMetrics: options.defaultMetrics ?? true,
  });
  const registers = [base.registry];
  const request = routeMetrics(base.registry);
  const deprecated = new Counter({
    name: 'switchyard_gateway_deprecated_requests_total',
    help: 'Calls to deprecated versions or operations, by client',
    labelNames: ['route', 'version', 'client'],
    registers,
  });
  const limited = new Counter({
    name: 'switchyard_gateway_rate_limited_total',
    help: 'Requests refused by a rate limit',
    labelNames: ['route'],
    registers,
  });
  const reloads = new Counter({
    name: 'switchyard_gateway_config_reloads_total',
    help: 'Configuration reloads, by result',
    labelNames: ['result'],
    registers,
  });
  return {
    base,
    request,
    deprecated: (route, version, client) => deprecated.inc({ route, version, client }),
    rateLimited: (route) => limited.inc({ route }),
    reload: (result) => reloads.inc({ result }),
  };
}
