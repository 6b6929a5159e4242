/**
 * What a benchmark case is. Every case measures Switchyard and a baseline in the same process and the
 * same run, so the ratio between them means something on any machine.
 */

/** What one run of a case measured. */
export interface BenchResult {
  switchyard: number;
  baseline: number;
  /** What the baseline is, e.g. `moleculer 0.14.36 local call`. */
  baselineName: string;
  notes?: string;
}

/** A target for the ratio (higher is better for Switchyard), stated where the case is defined. */
export interface BenchGoal {
  /** The ratio the case must reach, e.g. 1.5 for "1.5x the baseline". */
  minRatio: number;
  /** The goal as a sentence, e.g. `at least 1.5x Moleculer's local call rate`. */
  description: string;
}

export interface BenchCase {
  /** Unique across all case modules; the key of its record in docs/benchmarks.json. */
  name: string;
  group: string;
  /** Unit of `switchyard` and `baseline`, e.g. `calls/s`, `ops/s`, `µs`. */
  unit: string;
  /** True for throughput (ratio = switchyard / baseline), false for latency (ratio = baseline / switchyard). */
  higherIsBetter: boolean;
  goal?: BenchGoal;
  run(): Promise<BenchResult>;
}

/** What a case module may say about a group; shown as the group's note in docs/benchmarks.md. */
export interface BenchGroup {
  name: string;
  about: string;
}

/** A case module: `bench/cases/*.ts`. */
export interface BenchModule {
  cases: BenchCase[];
  groups?: BenchGroup[];
}

/** One row of docs/benchmarks.json. */
export interface BenchRecord {
  case: string;
  unit: string;
  switchyard: number;
  baseline: number;
  baselineName: string;
  /** Higher is better for Switchyard, whatever the unit. */
  ratio: number;
  group?: string;
  notes?: string;
}

export function ratioOf(
  higherIsBetter: boolean,
  result: Pick<BenchResult, 'switchyard' | 'baseline'>,
): number {
  return higherIsBetter ? result.switchyard / result.baseline : result.baseline / result.switchyard;
}
