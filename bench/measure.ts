/**
 * Timing helpers. Rates are measured in batches so reading the clock costs next to nothing, and the
 * two sides of a comparison are measured in alternating rounds so that machine noise (turbo, other
 * processes, GC debt) falls on both alike; each side's figure is the median of its rounds.
 */
import { performance } from 'node:perf_hooks';

export interface RateOptions {
  /** How long to measure. */
  durationMs: number;
  /** How long to run `fn` unmeasured first (JIT, caches). Default 0. */
  warmupMs?: number;
  /** Async only: how many calls may be in flight at once; 1 (default) awaits each call before the next. */
  concurrency?: number;
}

/** Clock reads happen once per batch, not once per call. */
const batch = 64;

/** Results land here so the optimiser cannot drop a call whose result is unused. */
let sink: unknown;

/** Calls per second of an async function, awaiting each call (or keeping `concurrency` in flight). */
export async function opsPerSecond(fn: () => Promise<unknown>, options: RateOptions): Promise<number> {
  const concurrency = options.concurrency ?? 1;
  if (options.warmupMs) await runFor(fn, options.warmupMs, concurrency);
  const start = performance.now();
  const calls = await runFor(fn, options.durationMs, concurrency);
  return calls / ((performance.now() - start) / 1000);
}

async function runFor(fn: () => Promise<unknown>, ms: number, concurrency: number): Promise<number> {
  const until = performance.now() + ms;
  const worker = async () => {
    let calls = 0;
    do {
      for (let i = 0; i < batch; i++) sink = await fn();
      calls += batch;
    } while (performance.now() < until);
    return calls;
  };
  const counts = await Promise.all(Array.from({ length: concurrency }, worker));
  return counts.reduce((a, b) => a + b, 0);
}

/** Calls per second of a synchronous function. */
export function syncOpsPerSecond(fn: () => unknown, options: Omit<RateOptions, 'concurrency'>): number {
  if (options.warmupMs) syncRunFor(fn, options.warmupMs);
  const start = performance.now();
  const calls = syncRunFor(fn, options.durationMs);
  return calls / ((performance.now() - start) / 1000);
}

function syncRunFor(fn: () => unknown, ms: number): number {
  const until = performance.now() + ms;
  let calls = 0;
  do {
    for (let i = 0; i < batch; i++) sink = fn();
    calls += batch;
  } while (performance.now() < until);
  return calls;
}

export interface Comparison {
  /** Median over rounds. */
  switchyard: number;
  /** Median over rounds. */
  baseline: number;
  /** switchyard / baseline of each round, to show how steady the ratio was. */
  roundRatios: number[];
}

export interface CompareOptions {
  rounds: number;
  /** Per side per round. */
  durationMs: number;
  /** Per side, once, before the first round. */
  warmupMs: number;
}

/**
 * Measures two sides in alternating rounds (A B, B A, A B, …) with a warm-up of each first, and
 * returns each side's median. `measure(fn, ms)` is the rate measurement to apply to either side.
 */
export async function compare<F>(
  sides: { switchyard: F; baseline: F },
  measure: (fn: F, ms: number) => number | Promise<number>,
  options: CompareOptions,
): Promise<Comparison> {
  await measure(sides.switchyard, options.warmupMs);
  await measure(sides.baseline, options.warmupMs);
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    if (round % 2 === 0) {
      a.push(await measure(sides.switchyard, options.durationMs));
      b.push(await measure(sides.baseline, options.durationMs));
    } else {
      b.push(await measure(sides.baseline, options.durationMs));
      a.push(await measure(sides.switchyard, options.durationMs));
    }
  }
  return { switchyard: median(a), baseline: median(b), roundRatios: a.map((x, i) => x / b[i]!) };
}

/** Rate comparison of two async functions, each call awaited before the next. */
export function compareAsync(
  sides: { switchyard: () => Promise<unknown>; baseline: () => Promise<unknown> },
  options: CompareOptions & { concurrency?: number },
): Promise<Comparison> {
  return compare(
    sides,
    (fn, ms) => opsPerSecond(fn, { durationMs: ms, concurrency: options.concurrency }),
    options,
  );
}

/** Rate comparison of two synchronous functions. */
export function compareSync(
  sides: { switchyard: () => unknown; baseline: () => unknown },
  options: CompareOptions,
): Promise<Comparison> {
  return compare(sides, (fn, ms) => syncOpsPerSecond(fn, { durationMs: ms }), options);
}

/** Per-call latencies in microseconds, one sample per awaited call, for latency cases. */
export async function latencySamples(
  fn: () => Promise<unknown>,
  options: { samples: number; warmup?: number },
): Promise<number[]> {
  for (let i = 0; i < (options.warmup ?? 0); i++) sink = await fn();
  const out = new Array<number>(options.samples);
  for (let i = 0; i < options.samples; i++) {
    const start = performance.now();
    sink = await fn();
    out[i] = (performance.now() - start) * 1000;
  }
  return out;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Linear interpolation between closest ranks; `p` in 0–100. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of no values');
  const sorted = [...values].sort((x, y) => x - y);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** `1.02–1.31`: the spread of per-round ratios, for a case's notes. */
export function spread(ratios: readonly number[]): string {
  return `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
}

/** Keeps the sink observable so writes to it are not dead stores. */
export function consumeSink(): unknown {
  return sink;
}
