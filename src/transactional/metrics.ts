import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { TransactionalEvent } from './events.js';
import type { Backlog, TransactionalStore } from './types.js';

export interface TransactionalMetrics {
  /** Pass as `onEvent` to relays and inboxes (or call it from your own listener). */
  readonly onEvent: (event: TransactionalEvent) => void;
  /** Reports a store's outbox backlog at every scrape, labelled `store`. */
  watch(store: Pick<TransactionalStore, 'backlog'>, name: string): void;
}

const lagBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Prometheus series of the outbox, relays and inbox, in the process's registry (`createMetrics()
 * .registry` of switchyard/observability, or any prom-client Registry): backlog count and age of the
 * oldest unpublished row (read from the database at scrape time), relay lag and failures, replication
 * lag of log tailing, leadership, inbox duplicates skipped, and rows cleaned up.
 */
export function transactionalMetrics(options: { registry: Registry }): TransactionalMetrics {
  const registers = [options.registry];
  const stores = new Map<string, Pick<TransactionalStore, 'backlog'>>();
  // One database read per store and scrape, shared by the three gauges it feeds.
  let reading: { at: number; backlogs: Promise<Map<string, Backlog | undefined>> } | undefined;
  const backlogs = () => {
    if (!reading || Date.now() - reading.at > 500) {
      const entries = [...stores].map(
        async ([name, store]) => [name, await store.backlog().catch(() => undefined)] as const,
      );
      reading = { at: Date.now(), backlogs: Promise.all(entries).then((e) => new Map(e)) };
    }
    return reading.backlogs;
  };
  const fromBacklog = (name: string, help: string, value: (b: Backlog) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['store'],
      registers,
      async collect() {
        for (const [store, backlog] of await backlogs()) if (backlog) this.set({ store }, value(backlog));
      },
    });
  fromBacklog(
    'switchyard_outbox_backlog_messages',
    'Outbox rows the broker has not confirmed yet',
    (b) => b.unpublished,
  );
  fromBacklog(
    'switchyard_outbox_oldest_unpublished_age_seconds',
    'Age of the oldest unpublished outbox row (0 when there is none)',
    (b) => (b.oldestAgeMs ?? 0) / 1000,
  );
  fromBacklog(
    'switchyard_outbox_failing_messages',
    'Unpublished outbox rows whose last relay attempt failed',
    (b) => b.failing,
  );

  const relayed = new Counter({
    name: 'switchyard_outbox_relayed_total',
    help: 'Outbox messages the broker confirmed',
    labelNames: ['relay'],
    registers,
  });
  const lag = new Histogram({
    name: 'switchyard_outbox_relay_lag_seconds',
    help: 'From outbox write (log tailing: commit) to broker confirmation',
    labelNames: ['relay'],
    buckets: lagBuckets,
    registers,
  });
  const failures = new Counter({
    name: 'switchyard_outbox_relay_failures_total',
    help: 'Relay attempts that failed (rows kept and retried)',
    labelNames: ['relay', 'code'],
    registers,
  });
  const leader = new Gauge({
    name: 'switchyard_outbox_relay_leader',
    help: '1 while this process holds the relay leadership',
    labelNames: ['relay'],
    registers,
  });
  const replicationLag = new Gauge({
    name: 'switchyard_outbox_replication_lag_bytes',
    help: 'WAL the log-tailing slot still holds: written but not yet confirmed by the relay',
    registers,
  });
  const processed = new Counter({
    name: 'switchyard_inbox_processed_total',
    help: 'Messages the inbox ran a handler for',
    labelNames: ['group'],
    registers,
  });
  const duplicates = new Counter({
    name: 'switchyard_inbox_duplicates_total',
    help: 'Messages the inbox skipped as already processed',
    labelNames: ['group'],
    registers,
  });
  const cleaned = new Counter({
    name: 'switchyard_transactional_cleanup_deleted_total',
    help: 'Rows deleted after their retention',
    labelNames: ['table'],
    registers,
  });

  return {
    onEvent(event) {
      switch (event.type) {
        case 'relayed':
          relayed.inc({ relay: event.relay }, event.count);
          for (const ms of event.lagsMs) lag.observe({ relay: event.relay }, ms / 1000);
          return;
        case 'relay-failed':
          failures.inc({ relay: event.relay, code: event.error.code });
          return;
        case 'leadership':
          leader.set({ relay: event.relay }, event.leader ? 1 : 0);
          return;
        case 'replication-lag':
          replicationLag.set(event.bytes);
          return;
        case 'inbox-processed':
          processed.inc({ group: event.group });
          return;
        case 'inbox-duplicate':
          duplicates.inc({ group: event.group });
          return;
        case 'cleanup':
          cleaned.inc({ table: event.table }, event.deleted);
          return;
      }
    },
    watch(store, name) {
      stores.set(name, store);
    },
  };
}
