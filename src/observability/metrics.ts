import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SwitchyardError } from '../errors/index.js';
import type { ResilienceEvents } from '../resilience/index.js';
import type { Interceptor } from '../runtime/index.js';

/**
 * Prometheus metrics of one process (prom-client's text format), named `switchyard_*`. One registry
 * per process, served at `/metrics` by the service's HTTP server.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Server-side middleware: requests by service, operation and outcome code, and their duration. */
  readonly server: Interceptor;
  /** Client-side middleware: the same for calls this process makes. */
  readonly client: Interceptor;
  /** Breaker state and transitions, retries, bulkhead rejections, timeouts and fallbacks. */
  observeResilience(events: ResilienceEvents): void;
  /** The text exposition of every metric. */
  render(): Promise<{ contentType: string; body: string }>;
}

const breakerStates = { closed: 0, 'half-open': 1, open: 2 } as const;
const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(
  options: { defaultMetrics?: boolean; labels?: Record<string, string> } = {},
): Metrics {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'switchyard_' });

  const labels = ['service', 'operation', 'code'] as const;
  const serverRequests = new Counter({
    name: 'switchyard_rpc_server_requests_total',
    help: 'Calls served',
    labelNames: labels,
    registers: [registry],
  });
  const serverSeconds = new Histogram({
    name: 'switchyard_rpc_server_duration_seconds',
    help: 'Time to serve a call',
    labelNames: ['service', 'operation'],
    buckets,
    registers: [registry],
  });
  const clientRequests = new Counter({
    name: 'switchyard_rpc_client_requests_total',
    help: 'Calls made',
    labelNames: labels,
    registers: [registry],
  });
  const clientSeconds = new Histogram({
    name: 'switchyard_rpc_client_duration_seconds',
    help: 'Time a call took, retries included',
    labelNames: ['service', 'operation'],
    buckets,
    registers: [registry],
  });

  const target = ['service', 'operation'] as const;
  const breakerState = new Gauge({
    name: 'switchyard_circuit_breaker_state',
    help: '0 closed, 1 half-open, 2 open',
    labelNames: target,
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'switchyard_circuit_breaker_transitions_total',
    help: 'Breaker state changes',
    labelNames: [...target, 'from', 'to'],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'switchyard_retries_total',
    help: 'Retries scheduled',
    labelNames: target,
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'switchyard_bulkhead_rejections_total',
    help: 'Calls refused by a full bulkhead',
    labelNames: target,
    registers: [registry],
  });
  const timeouts = new Counter({
    name: 'switchyard_timeouts_total',
    help: 'Attempts cut by the per-attempt timeout',
    labelNames: target,
    registers: [registry],
  });
  const fallbacks = new Counter({
    name: 'switchyard_fallbacks_total',
    help: 'Calls answered by a fallback',
    labelNames: [...target, 'kind'],
    registers: [registry],
  });

  const measure =
    (requests: Counter<(typeof labels)[number]>, seconds: Histogram<'service' | 'operation'>): Interceptor =>
    (next) =>
    async (call) => {
      const started = performance.now();
      const service = `${call.contract.name}@v${call.contract.major}`;
      let code = 'OK';
      try {
        return await next(call);
      } catch (error) {
        code = SwitchyardError.from(error).code;
        throw error;
      } finally {
        requests.inc({ service, operation: call.operation, code });
        seconds.observe({ service, operation: call.operation }, (performance.now() - started) / 1000);
      }
    };

  return {
    registry,
    server: measure(serverRequests, serverSeconds),
    client: measure(clientRequests, clientSeconds),
    observeResilience(events) {
      events.onStateChange((e) => {
        const at = { service: e.service, operation: e.operation };
        breakerState.set(at, breakerStates[e.to]);
        transitions.inc({ ...at, from: e.from, to: e.to });
      });
      events.onRetry((e) => retries.inc({ service: e.service, operation: e.operation }));
      events.onBulkheadReject((e) => rejections.inc({ service: e.service, operation: e.operation }));
      events.onTimeout((e) => timeouts.inc({ service: e.service, operation: e.operation }));
      events.onFallback((e) => fallbacks.inc({ service: e.service, operation: e.operation, kind: e.kind }));
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
