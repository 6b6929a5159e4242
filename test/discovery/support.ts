import type { Instance, Registration } from '../../src/discovery/types.js';

/** A passing instance of `service` with an HTTP and a gRPC endpoint derived from its id. */
export function instance(id: string, overrides: Partial<Instance> = {}): Instance {
  return {
    id,
    service: 'orders',
    version: '1.0.0',
    endpoints: { http: `${id}.test:80`, grpc: `${id}.test:50051` },
    labels: {},
    health: 'passing',
    ...overrides,
  };
}

export function registration(id: string, overrides: Partial<Registration> = {}): Registration {
  return {
    id,
    service: 'orders',
    version: '1.0.0',
    endpoints: { http: '127.0.0.1:8080' },
    ...overrides,
  };
}

/** Resolves once `check` returns a value other than undefined; polls without holding the test open. */
export async function until<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 2000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const ids = (instances: readonly Instance[]) => instances.map((i) => i.id).sort();

/** mulberry32: a small seeded PRNG, so distribution tests give the same numbers on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many times each instance id was picked. */
export function tally(picks: readonly { id: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of picks) counts[p.id] = (counts[p.id] ?? 0) + 1;
  return counts;
}
