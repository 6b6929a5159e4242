import { InstanceStats, type Balancer, type Random } from './balancer.js';

export interface LeastOutstandingOptions {
  /** Breaks ties, so clients that see the same counts do not all pick the same instance. */
  random?: Random;
}

/**
 * The instance with the fewest calls in flight from this client. Adapts to slow instances (their
 * calls pile up) without measuring time; scans every instance, so suits tens rather than thousands.
 */
export function leastOutstanding(options: LeastOutstandingOptions = {}): Balancer {
  const rand = options.random ?? Math.random;
  const stats = new InstanceStats(() => ({ outstanding: 0 }));
  return {
    pick(instances) {
      stats.prune(instances);
      let best: (typeof instances)[number] | undefined;
      let bestCount = Infinity;
      let ties = 0;
      for (const instance of instances) {
        const count = stats.get(instance).outstanding;
        if (count < bestCount) {
          best = instance;
          bestCount = count;
          ties = 1;
        } else if (count === bestCount && rand() * ++ties < 1) {
          // Reservoir sampling: each of the tied instances ends up chosen with equal chance.
          best = instance;
        }
      }
      return best;
    },
    onStart(instance) {
      stats.get(instance).outstanding++;
    },
    onEnd(instance) {
      const s = stats.get(instance);
      s.outstanding = Math.max(0, s.outstanding - 1);
    },
  };
}
