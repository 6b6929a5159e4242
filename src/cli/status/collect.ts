import type { HealthState, Instance } from '../../discovery/types.js';
import { fetchInstances, fetchText } from './probe.js';
import { parsePrometheus, sumOf, type Sample } from './prometheus.js';
import { ratesBetween, type CounterSample } from './rates.js';
import type { SystemProcess } from './system-file.js';

/** One line of the status table; null where the value is unknown or not exposed (shown as "-"). */
export interface StatusRow {
  readonly name: string;
  readonly state: string;
  readonly pid: number | null;
  /** As the hub reports the instance; null for processes that are not service instances. */
  readonly health: HealthState | null;
  readonly requestsPerSecond: number | null;
  readonly errorsPerSecond: number | null;
  /** Counter totals since the process started (what the rates are computed from). */
  readonly requests: number | null;
  readonly errors: number | null;
  readonly consumerLag: number | null;
  readonly outboxBacklog: number | null;
  readonly rssBytes: number | null;
  readonly restarts: number;
}

export interface CollectorOptions {
  readonly hubUrl: string;
  /** Read at every collection: `up` passes its live view, `status` the system file's. */
  processes(): readonly SystemProcess[];
  /** Per request to the hub and to each `/metrics`. */
  readonly timeoutMs?: number;
}

export const metricNames = {
  rpcRequests: 'switchyard_rpc_server_requests_total',
  gatewayRequests: 'switchyard_gateway_requests_total',
  rss: 'switchyard_process_resident_memory_bytes',
  outboxBacklog: 'switchyard_outbox_backlog_messages',
  consumerLag: 'switchyard_messaging_consumer_lag_messages',
} as const;

/**
 * Gathers status rows. Keeps the previous counter sample of each process between calls, so the
 * second and later calls carry rates. Nothing here throws: an unreachable hub or `/metrics` only
 * leaves its columns null.
 */
export function createCollector(options: CollectorOptions) {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const previous = new Map<string, CounterSample>();

  async function rows(): Promise<StatusRow[]> {
    const processes = options.processes();
    const instances = await instancesOf(options.hubUrl, timeoutMs);
    const seen = new Set<string>();
    return Promise.all(
      processes.map(async (proc): Promise<StatusRow> => {
        const instance = instances.get(proc.name);
        const url = proc.metricsUrl ?? metricsUrlOf(instance);
        const samples = url === undefined ? undefined : await scrape(url, timeoutMs);
        // A process that serves metrics but no call yet has no request series: that is zero, not unknown.
        const counters = samples && (countersOf(samples) ?? { requests: 0, errors: 0 });
        let rates;
        if (url !== undefined && counters) {
          // Keyed by address: a restarted instance listens elsewhere and starts a new series.
          const key = `${proc.name} ${url}`;
          seen.add(key);
          const sample = { at: Date.now(), ...counters };
          rates = ratesBetween(previous.get(key), sample);
          previous.set(key, sample);
        }
        return {
          name: proc.name,
          state: proc.state,
          pid: proc.pid,
          health: instance?.health ?? null,
          requestsPerSecond: rates?.requestsPerSecond ?? null,
          errorsPerSecond: rates?.errorsPerSecond ?? null,
          requests: counters?.requests ?? null,
          errors: counters?.errors ?? null,
          consumerLag: (samples && sumOf(samples, metricNames.consumerLag)) ?? null,
          outboxBacklog: (samples && sumOf(samples, metricNames.outboxBacklog)) ?? null,
          rssBytes: (samples && sumOf(samples, metricNames.rss)) ?? null,
          restarts: proc.restarts,
        };
      }),
    ).finally(() => {
      for (const key of previous.keys()) if (!seen.has(key)) previous.delete(key);
    });
  }

  return { rows };
}

export type Collector = ReturnType<typeof createCollector>;

/** Instances by id (the process name `up` gives them); empty when the hub does not answer. */
async function instancesOf(hubUrl: string, timeoutMs: number): Promise<Map<string, Instance>> {
  const instances = await fetchInstances(hubUrl, { timeoutMs }).catch(() => undefined);
  return new Map((instances ?? []).map((i) => [i.id, i]));
}

/** A service instance serves `/metrics` on the HTTP address it registered. */
function metricsUrlOf(instance: Instance | undefined): string | undefined {
  const http = instance?.endpoints.http;
  return http ? `http://${http}/metrics` : undefined;
}

async function scrape(url: string, timeoutMs: number): Promise<Sample[] | undefined> {
  const text = await fetchText(url, timeoutMs).catch(() => undefined);
  return text === undefined ? undefined : parsePrometheus(text);
}

/** Served calls and failed ones: RPC counters of a service, or the request counter of the gateway. */
export function countersOf(samples: readonly Sample[]): { requests: number; errors: number } | undefined {
  const rpc = sumOf(samples, metricNames.rpcRequests);
  if (rpc !== undefined)
    return { requests: rpc, errors: sumOf(samples, metricNames.rpcRequests, (l) => l.code !== 'OK') ?? 0 };
  const gateway = sumOf(samples, metricNames.gatewayRequests);
  if (gateway !== undefined)
    return {
      requests: gateway,
      errors: sumOf(samples, metricNames.gatewayRequests, (l) => Number(l.status) >= 400) ?? 0,
    };
  return undefined;
}
