import type { Registry } from '../../discovery/registry/index.js';

export interface HubGauges {
  /** Open server-sent event streams. */
  streams(): number;
  /** Blocking queries waiting for a change. */
  waiting(): number;
}

/**
 * `/metrics` in the Prometheus text format, written by hand: a handful of gauges read when scraped
 * does not justify a metrics library in the hub.
 */
export async function renderMetrics(registry: Registry, gauges: HubGauges): Promise<string> {
  const snapshot = await registry.backend.list();
  const counts = new Map<string, number>();
  for (const { instance } of snapshot.entries) {
    const key = `service="${instance.service}",health="${instance.health}"`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const lines = [
    '# HELP switchyard_registry_instances Registered instances by service and health state.',
    '# TYPE switchyard_registry_instances gauge',
    ...[...counts].map(([labels, n]) => `switchyard_registry_instances{${labels}} ${n}`),
    '# HELP switchyard_registry_index Index of the last registry change.',
    '# TYPE switchyard_registry_index gauge',
    `switchyard_registry_index ${snapshot.index}`,
    '# HELP switchyard_hub_event_streams Open server-sent event streams.',
    '# TYPE switchyard_hub_event_streams gauge',
    `switchyard_hub_event_streams ${gauges.streams()}`,
    '# HELP switchyard_hub_blocking_queries Blocking queries waiting for a change.',
    '# TYPE switchyard_hub_blocking_queries gauge',
    `switchyard_hub_blocking_queries ${gauges.waiting()}`,
  ];
  return lines.join('\n') + '\n';
}
