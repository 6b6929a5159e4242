import type { Balancer } from './balancer.js';

export interface RoundRobinOptions {
  /** Where the rotation starts; random by default so many clients do not all begin on the first instance. */
  start?: number;
}

/** Each instance in turn. Even spread when instances are alike and calls cost the same. */
export function roundRobin(options: RoundRobinOptions = {}): Balancer {
  let next = options.start ?? Math.floor(Math.random() * 2 ** 20);
  return {
    pick(instances) {
      if (instances.length === 0) return undefined;
      return instances[next++ % instances.length];
    },
  };
}
