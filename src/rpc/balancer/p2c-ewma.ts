import { InstanceStats, instanceFailed, type Balancer, type Random } from './balancer.js';

export interface P2cEwmaOptions {
  /** Time constant of the latency average: a sample `decayMs` old weighs 1/e of a new one (default 10 s). */
  decayMs?: number;
  /**
   * A call that failed through the instance's fault counts as at least this multiple of the current
   * estimate (default 2): fast failures must not make a broken instance look fast.
   */
  failurePenalty?: number;
  random?: Random;
  /** Monotonic ms clock, injectable for tests. */
  now?: () => number;
}

/** Finagle's penalty: the cost of an instance with no latency data that already has a call in flight. */
const unknownCost = 1e12;

interface Score {
  /** Peak-sensitive moving average of latency, in ms. */
  ewma: number;
  stamp: number;
  outstanding: number;
  observed: boolean;
}

/**
 * Power of two choices over peak EWMA latency, as Finagle's and Linkerd's balancers do: pick two
 * instances at random and send to the cheaper, where cost = latency estimate × (calls in flight + 1).
 *
 * - The estimate jumps to any sample above it (quick to penalise) and decays toward lower samples and,
 *   between samples, toward zero (slow to forgive, but an avoided instance eventually looks cheap
 *   enough to be tried again, so a recovered one gets traffic back).
 * - An instance with no data costs nothing while idle (it gets a probe) and `unknownCost` once a call
 *   is in flight (it gets no burst before its first answer).
 * - Two random candidates rather than the global best: no herd of clients all choosing the same
 *   "best" instance on stale information, at O(1) per pick.
 */
export function p2cEwma(options: P2cEwmaOptions = {}): Balancer {
  const decayMs = options.decayMs ?? 10_000;
  const failurePenalty = options.failurePenalty ?? 2;
  const rand = options.random ?? Math.random;
  const now = options.now ?? (() => performance.now());
  const stats = new InstanceStats<Score>(() => ({ ewma: 0, stamp: now(), outstanding: 0, observed: false }));

  function observe(s: Score, rtt: number, t: number): void {
    if (rtt > s.ewma) s.ewma = rtt;
    else {
      const w = Math.exp(-Math.max(0, t - s.stamp) / decayMs);
      s.ewma = s.ewma * w + rtt * (1 - w);
    }
    s.stamp = t;
  }

  function cost(s: Score, t: number): number {
    // Reading decays the estimate as a zero-latency sample would: Finagle's `observe(0)` on read.
    observe(s, 0, t);
    if (!s.observed) return s.outstanding === 0 ? 0 : unknownCost + s.outstanding;
    return s.ewma * (s.outstanding + 1);
  }

  return {
    pick(instances) {
      const n = instances.length;
      if (n <= 1) return instances[0];
      stats.prune(instances);
      const i = Math.floor(rand() * n);
      let j = Math.floor(rand() * (n - 1));
      if (j >= i) j++;
      const a = instances[i]!;
      const b = instances[j]!;
      const t = now();
      return cost(stats.get(b), t) < cost(stats.get(a), t) ? b : a;
    },
    onStart(instance) {
      stats.get(instance).outstanding++;
    },
    onEnd(instance, outcome) {
      const s = stats.get(instance);
      s.outstanding = Math.max(0, s.outstanding - 1);
      const latency = Math.max(0, outcome.latencyMs);
      const sample = instanceFailed(outcome) ? Math.max(latency, s.ewma * failurePenalty) : latency;
      observe(s, sample, now());
      s.observed = true;
    },
  };
}
