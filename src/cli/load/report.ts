import type { Io } from '../io.js';
import type { Histogram } from './histogram.js';
import type { Tally } from './tally.js';

/** The run's result, as `--json` prints it. Latencies in milliseconds, of successes only. */
export interface LoadSummary {
  url: string;
  rate?: number;
  concurrency?: number;
  /** The measured time, warmup excluded; shorter than asked when Ctrl-C stopped the run. */
  durationS: number;
  requests: number;
  successes: number;
  errors: number;
  /** Requests (successes and errors) per second. */
  throughput: number;
  polls: number;
  dropped: number;
  cancelled: number;
  kinds: KindSummary[];
  failures: { kind: string; error: string; count: number }[];
}

export interface KindSummary {
  kind: string;
  settled: boolean;
  count: number;
  rate: number;
  errors: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number } | null;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export function summarize(options: {
  url: string;
  driver: { rate: number } | { concurrency: number };
  durationMs: number;
  tally: Tally;
}): LoadSummary {
  const { url, driver, tally } = options;
  const seconds = options.durationMs / 1000;
  const perSecond = (n: number) => (seconds > 0 ? round(n / seconds, 1) : 0);
  return {
    url,
    ...driver,
    durationS: round(seconds, 3),
    requests: tally.requests,
    successes: tally.successes,
    errors: tally.errors,
    throughput: perSecond(tally.requests),
    polls: tally.polls,
    dropped: tally.dropped,
    cancelled: tally.cancelled,
    kinds: tally.rows().map((row) => {
      const count = row.latency.count + row.errors;
      return {
        kind: row.kind,
        settled: row.settled,
        count,
        rate: perSecond(count),
        errors: row.errors,
        latencyMs: latencies(row.latency),
      };
    }),
    failures: tally.failures(),
  };
}

function latencies(h: Histogram): KindSummary['latencyMs'] {
  if (h.count === 0) return null;
  const at = (p: number) => round(h.percentile(p)!, 3);
  return { p50: at(50), p95: at(95), p99: at(99), max: round(h.max!, 3) };
}

/** The summary for people: totals, a table of kinds, then the errors by kind and label. */
export function formatSummary(summary: LoadSummary, io: Pick<Io, 'style'>): string[] {
  const { style } = io;
  const driver =
    summary.rate === undefined ? `concurrency ${summary.concurrency}` : `open loop at ${summary.rate} req/s`;
  const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(1));
  const header = ['kind', 'count', 'req/s', 'p50', 'p95', 'p99', 'max', 'errors'];
  const rows = summary.kinds.map((k) => [
    k.kind,
    String(k.count),
    k.rate.toFixed(1),
    ms(k.latencyMs?.p50),
    ms(k.latencyMs?.p95),
    ms(k.latencyMs?.p99),
    ms(k.latencyMs?.max),
    String(k.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const lines = [
    style.bold(`${summary.durationS.toFixed(1)} s against ${summary.url}, ${driver}`),
    `requests ${summary.requests} (${summary.successes} ok, ${summary.errors} errors), ` +
      `${summary.throughput.toFixed(1)} req/s` +
      (summary.polls > 0 ? `; ${summary.polls} settle polls` : '') +
      (summary.cancelled > 0 ? `; ${summary.cancelled} cancelled in flight at Ctrl-C` : ''),
    '',
    style.dim(`${line(header)}   (latency in ms)`),
    ...summary.kinds.map((k, i) => {
      const text = line(rows[i]!);
      return k.errors > 0 ? text.replace(/\d+$/, (n) => style.red(n)) : text;
    }),
  ];
  if (summary.failures.length > 0 || summary.dropped > 0) lines.push('', 'errors');
  const labelWidth = Math.max(0, ...summary.failures.map((f) => `${f.error} × ${f.count}`.length));
  for (const f of summary.failures)
    lines.push(`  ${style.red(`${f.error} × ${f.count}`.padEnd(labelWidth))}  ${style.dim(f.kind)}`);
  if (summary.dropped > 0)
    lines.push(`  ${style.yellow(`dropped (client overloaded) × ${summary.dropped}`)}`);
  return lines;
}

export interface LiveState {
  phase: 'warmup' | 'run' | 'finishing';
  /** Into the current phase. */
  elapsedMs: number;
  /** Length of the current phase. */
  phaseMs: number;
  tally: Tally;
  inFlight: number;
}

/** The progress line; `perSecond` is the throughput of the last second. */
export function liveLine(state: LiveState, perSecond: number): string {
  const { tally } = state;
  const ms = (p: number) => {
    const value = tally.latency.percentile(p);
    return value === undefined ? '-' : `${value.toFixed(1)} ms`;
  };
  const elapsed = (state.elapsedMs / 1000).toFixed(1);
  const total = Number((state.phaseMs / 1000).toFixed(1));
  const clock =
    state.phase === 'finishing'
      ? `finishing ${state.inFlight} in flight`
      : `${state.phase === 'warmup' ? 'warmup ' : ''}${elapsed}/${total} s`;
  return `${clock}  ${Math.round(perSecond)} req/s  p50 ${ms(50)}  p99 ${ms(99)}  errors ${tally.allErrors}`;
}

const tick = 500;
/** Without a terminal a line every 5 s: enough to follow a CI log, not enough to flood it. */
const plainEvery = 10;

/**
 * Redraws the progress line every 500 ms on a terminal (as src/cli/progress.ts draws its spinner);
 * prints a plain line every 5 s otherwise. With `--json`, stdout is the summary's, so this goes to
 * stderr.
 */
export function startLive(options: { io: Io; toStderr: boolean; read: () => LiveState }): { stop(): void } {
  const { io, toStderr, read } = options;
  const stream = toStderr ? process.stderr : process.stdout;
  let samples: { at: number; requests: number; tally: Tally }[] = [];
  let ticks = 0;
  const timer = setInterval(() => {
    const state = read();
    const at = performance.now();
    // The warmup's tally is left behind when the measured run starts: its counts do not carry over.
    samples = samples.filter((s) => s.tally === state.tally && at - s.at < 1_250);
    samples.push({ at, requests: state.tally.requests, tally: state.tally });
    const oldest = samples[0]!;
    // Until there is a second sample, the rate since the phase began.
    const perSecond =
      at > oldest.at
        ? ((state.tally.requests - oldest.requests) * 1000) / (at - oldest.at)
        : (state.tally.requests * 1000) / Math.max(state.elapsedMs, 1);
    const text = liveLine(state, perSecond);
    if (io.tty) stream.write(`\r\x1b[2K${text}`);
    else if (++ticks % plainEvery === 0) {
      if (toStderr) io.err(text);
      else io.out(text);
    }
  }, tick);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (io.tty) stream.write('\r\x1b[2K');
    },
  };
}
