import type { Metric, Registry } from 'prom-client';

const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Count {
  readonly labels: { route: string; method: string; status: string };
  value: number;
}

interface Timing {
  /** Per bucket, not cumulative (cumulated when scraped); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * Requests per route, method and status, and their durations per route, kept in plain maps and turned
 * into Prometheus series only when scraped: recording a request costs a few map lookups, not the
 * label hashing of a prom-client metric per observation.
 */
export function routeMetrics(
  registry: Registry,
): (route: string, method: string, status: number, seconds: number) => void {
  const counts = new Map<string, Count>();
  const timings = new Map<string, Timing>();
  const requests = {
    name: 'switchyard_gateway_requests_total',
    help: 'Requests answered by the gateway',
    type: 'counter',
    aggregator: 'sum',
    get: async () => ({
      name: requests.name,
      help: requests.help,
      type: requests.type,
      aggregator: requests.aggregator,
      values: [...counts.values()].map((c) => ({ labels: c.labels, value: c.value })),
    }),
  };
  const name = 'switchyard_gateway_request_duration_seconds';
  const durations = {
    name,
    help: 'Time from a request to its answer',
    type: 'histogram',
    aggregator: 'sum',
    get: async () => {
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      for (const [route, timing] of timings) {
        let cumulative = 0;
        buckets.forEach((le, i) => {
          cumulative += timing.counts[i]!;
          values.push({ metricName: `${name}_bucket`, labels: { le, route }, value: cumulative });
        });
        values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', route }, value: timing.count });
        values.push({ metricName: `${name}_sum`, labels: { route }, value: timing.sum });
        values.push({ metricName: `${name}_count`, labels: { route }, value: timing.count });
      }
      return { name, help: durations.help, type: durations.type, aggregator: durations.aggregator, values };
    },
  };
  registry.registerMetric(requests as unknown as Metric);
  registry.registerMetric(durations as unknown as Metric);

  return (route, method, status, seconds) => {
    const key = `${route} ${method} ${status}`;
    let count = counts.get(key);
    if (!count) counts.set(key, (count = { labels: { route, method, status: String(status) }, value: 0 }));
    count.value++;
    let timing = timings.get(route);
    if (!timing)
      timings.set(route, (timing = { counts: new Float64Array(buckets.length + 1), sum: 0, count: 0 }));
    let i = 0;
    while (i < buckets.length && seconds > buckets[i]!) i++;
    timing.counts[i]!++;
    timing.sum += seconds;
    timing.count++;
  };
}
