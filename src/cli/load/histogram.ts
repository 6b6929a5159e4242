/**
 * Latencies in milliseconds, counted in logarithmic buckets: memory stays constant however long the
 * run, any percentile can be read at any moment (the live line reads them twice a second), and each is
 * within 0.5% of the exact value. The minimum and maximum are kept exactly.
 */
export interface Histogram {
  record(ms: number): void;
  readonly count: number;
  readonly max: number | undefined;
  /** Nearest-rank percentile (p from 0 to 100); undefined while nothing was recorded. */
  percentile(p: number): number | undefined;
}

/** Each bucket is 1% wider than the one before; reading its geometric middle errs by at most ~0.5%. */
const ratio = 1.01;
const logRatio = Math.log(ratio);
/** Everything below a microsecond shares the first bucket. */
const floor = 0.001;

export function createHistogram(): Histogram {
  const counts: number[] = [];
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  return {
    record(ms) {
      const index = ms <= floor ? 0 : Math.max(1, Math.ceil(Math.log(ms / floor) / logRatio));
      while (counts.length <= index) counts.push(0);
      counts[index]!++;
      count++;
      if (ms < min) min = ms;
      if (ms > max) max = ms;
    },
    get count() {
      return count;
    },
    get max() {
      return count === 0 ? undefined : max;
    },
    percentile(p) {
      if (count === 0) return undefined;
      const rank = Math.max(1, Math.ceil((Math.min(Math.max(p, 0), 100) / 100) * count));
      if (rank === 1) return min;
      if (rank === count) return max;
      let seen = 0;
      for (const [index, n] of counts.entries()) {
        seen += n;
        if (seen < rank) continue;
        const middle = index === 0 ? floor : floor * ratio ** (index - 0.5);
        // The middle of the first or last bucket may lie beyond what was seen.
        return Math.min(Math.max(middle, min), max);
      }
      return max;
    },
  };
}
