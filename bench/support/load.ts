/**
 * Load with latency: keeps `concurrency` calls in flight for a while, counting calls and timing each
 * one. Several sides are measured in alternating rounds (A B C, C B A, A B C, …) after a warm-up of
 * each, as `compare` in bench/measure.ts does for two, so machine noise falls on every side alike.
 * Each side's figures are medians over its rounds.
 */
import { performance } from 'node:perf_hooks';
import { median, percentile } from '../measure.js';

export interface LoadSide {
  name: string;
  call: () => Promise<unknown>;
}

export interface LoadOptions {
  /** Calls kept in flight. */
  concurrency: number;
  rounds: number;
  /** Per side per round. */
  durationMs: number;
  /** Per side, once, before the first round. */
  warmupMs: number;
}

export interface SideFigures {
  name: string;
  /** Median over rounds, calls per second. */
  rate: number;
  /** Median over rounds of each round's percentile, in µs. */
  p50: number;
  p99: number;
  /** Each round's rate, in round order, for per-round ratios. */
  rates: number[];
}

interface Round {
  rate: number;
  p50: number;
  p99: number;
}

/** One side for `ms`; every call's latency goes into `latencies` (µs). */
async function run(
  call: () => Promise<unknown>,
  ms: number,
  concurrency: number,
  latencies: number[],
): Promise<number> {
  const start = performance.now();
  const until = start + ms;
  let calls = 0;
  const worker = async () => {
    let before = performance.now();
    while (before < until) {
      await call();
      const after = performance.now();
      latencies.push((after - before) * 1000);
      before = after;
      calls++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return calls / ((performance.now() - start) / 1000);
}

async function round(side: LoadSide, ms: number, concurrency: number): Promise<Round> {
  const latencies: number[] = [];
  const rate = await run(side.call, ms, concurrency, latencies);
  return { rate, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

export async function interleave(sides: readonly LoadSide[], options: LoadOptions): Promise<SideFigures[]> {
  for (const side of sides) await round(side, options.warmupMs, options.concurrency);
  const rounds = sides.map((): Round[] => []);
  for (let r = 0; r < options.rounds; r++) {
    const order = sides.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) rounds[i]!.push(await round(sides[i]!, options.durationMs, options.concurrency));
  }
  return sides.map((side, i) => {
    const mine = rounds[i]!;
    return {
      name: side.name,
      rate: median(mine.map((x) => x.rate)),
      p50: median(mine.map((x) => x.p50)),
      p99: median(mine.map((x) => x.p99)),
      rates: mine.map((x) => x.rate),
    };
  });
}
