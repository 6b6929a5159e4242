import { createHistogram, type Histogram } from './histogram.js';

/** One row of the report: a kind of request, or the end-to-end completion of one (`… (settled)`). */
export interface KindTally {
  readonly kind: string;
  readonly settled: boolean;
  /** Latencies of the successes. */
  readonly latency: Histogram;
  errors: number;
}

/**
 * What a run counted. `requests`, `successes` and `errors` are the requests of the mix (their settle
 * polls are counted apart, in `polls`), so `successes + errors === requests`.
 */
export interface Tally {
  readonly requests: number;
  readonly successes: number;
  readonly errors: number;
  /** Errors of every row, settle errors included, for the live line. */
  readonly allErrors: number;
  readonly polls: number;
  /** Requests of the schedule not started because too many were outstanding (open loop). */
  readonly dropped: number;
  /** Requests, or their settles, abandoned by Ctrl-C before they finished. */
  readonly cancelled: number;
  /** Latencies of every successful mix request, whatever its kind, for the live line. */
  readonly latency: Histogram;
  /** Rows, each kind followed by its settled row. */
  rows(): KindTally[];
  /** Error label → count, per row. */
  failures(): { kind: string; error: string; count: number }[];
  /** Called as a request starts, so rows keep the order in which the mix first sent each kind. */
  started(kind: string, options: { settles: boolean }): void;
  success(kind: string, ms: number, options?: { settled?: boolean }): void;
  failure(kind: string, label: string, options?: { settled?: boolean }): void;
  poll(): void;
  drop(): void;
  cancel(): void;
}

export const settledKind = (kind: string): string => `${kind} (settled)`;

export function createTally(): Tally {
  const kinds = new Map<string, KindTally>();
  const failures = new Map<string, { kind: string; error: string; count: number }>();
  const latency = createHistogram();
  const counts = { requests: 0, successes: 0, errors: 0, allErrors: 0, polls: 0, dropped: 0, cancelled: 0 };
  const row = (kind: string, settled: boolean): KindTally => {
    const name = settled ? settledKind(kind) : kind;
    let found = kinds.get(name);
    if (!found) kinds.set(name, (found = { kind: name, settled, latency: createHistogram(), errors: 0 }));
    return found;
  };
  return {
    get requests() {
      return counts.requests;
    },
    get successes() {
      return counts.successes;
    },
    get errors() {
      return counts.errors;
    },
    get allErrors() {
      return counts.allErrors;
    },
    get polls() {
      return counts.polls;
    },
    get dropped() {
      return counts.dropped;
    },
    get cancelled() {
      return counts.cancelled;
    },
    latency,
    rows() {
      const all = [...kinds.values()];
      return all
        .filter((r) => !r.settled)
        .flatMap((r) => [r, ...all.filter((s) => s.settled && s.kind === settledKind(r.kind))]);
    },
    failures: () => [...failures.values()].sort((a, b) => b.count - a.count),
    started(kind, options) {
      row(kind, false);
      if (options.settles) row(kind, true);
    },
    success(kind, ms, options) {
      row(kind, options?.settled ?? false).latency.record(ms);
      if (options?.settled) return;
      counts.requests++;
      counts.successes++;
      latency.record(ms);
    },
    failure(kind, label, options) {
      const r = row(kind, options?.settled ?? false);
      r.errors++;
      counts.allErrors++;
      const key = `${r.kind}\n${label}`;
      const entry = failures.get(key) ?? { kind: r.kind, error: label, count: 0 };
      entry.count++;
      failures.set(key, entry);
      if (options?.settled) return;
      counts.requests++;
      counts.errors++;
    },
    poll: () => void counts.polls++,
    drop: () => void counts.dropped++,
    cancel: () => void counts.cancelled++,
  };
}
