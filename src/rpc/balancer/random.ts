import type { Balancer, Random } from './balancer.js';

export interface RandomOptions {
  random?: Random;
}

/** A uniformly random instance: no state, no coordination, even spread on average. */
export function random(options: RandomOptions = {}): Balancer {
  const rand = options.random ?? Math.random;
  return {
    pick(instances) {
      if (instances.length === 0) return undefined;
      return instances[Math.floor(rand() * instances.length)];
    },
  };
}
