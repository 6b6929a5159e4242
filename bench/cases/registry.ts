/**
 * Registry propagation: how long a registration change takes to reach every watching client. The hub
 * runs in a child process; 200 instances are registered over its HTTP API; 20 `hubResolver`s in this
 * process watch the service; then instances are registered and deregistered one at a time, each
 * change timed from the write until the last watcher has seen it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { hubResolver, registryPaths, type HubResolver, type Instance } from '../../src/discovery/index.js';
import type { BenchCase, BenchGroup, BenchResult } from '../case.js';
import { median } from '../measure.js';
import { withServers } from '../support/child.js';

const group = 'registry';
const service = 'bench-orders';
const instances = 200;
const watchers = 20;
const changes = 10;
const goalMs = 1000;

type Check = (set: readonly Instance[]) => boolean;

/** One watching client: the latest set its listener heard, and who is waiting for which set. */
class Watcher {
  latest: readonly Instance[] = [];
  readonly #waiters = new Set<{ check: Check; resolve: (at: number) => void }>();
  readonly stop: () => void;

  constructor(readonly resolver: HubResolver) {
    this.stop = resolver.watch(service, (set) => {
      const at = performance.now();
      this.latest = set;
      for (const waiter of this.#waiters)
        if (waiter.check(set)) {
          this.#waiters.delete(waiter);
          waiter.resolve(at);
        }
    });
  }

  /** When the listener heard a set passing `check` (at once if the latest does). */
  until(check: Check, timeoutMs: number): Promise<number> {
    if (check(this.latest)) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`a watcher did not see the change within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = { check, resolve: (at: number) => (clearTimeout(timer), resolve(at)) };
      this.#waiters.add(waiter);
    });
  }
}

async function send(url: string, method: 'PUT' | 'DELETE', body?: unknown): Promise<void> {
  const res = await request(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.body.dump();
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: status ${res.statusCode}`);
}

async function run(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-bench-hub-'));
  try {
    return await withServers([['hub', { dataDir }]], async ([hub]) => {
      const base = hub!.address;
      const register = (id: string, i: number) =>
        send(base + registryPaths.instance(id), 'PUT', {
          service,
          version: '1.0.0',
          endpoints: { http: `10.0.${i >> 8}.${i & 255}:8080` },
          ttlSeconds: 3600,
        });
      for (let i = 0; i < instances; i += 20)
        await Promise.all(Array.from({ length: 20 }, (_, k) => register(`orders-${i + k}`, i + k)));

      const clients = Array.from({ length: watchers }, () => new Watcher(hubResolver({ url: base })));
      try {
        const all = (set: readonly Instance[]) => set.length === instances;
        await Promise.all(clients.map((c) => c.until(all, 10_000)));
        const times: number[] = [];
        for (let k = 0; k < changes; k++) {
          // Alternately add an instance and remove it again.
          const id = `orders-extra-${k >> 1}`;
          const adding = k % 2 === 0;
          const check: Check = (set) => set.some((i) => i.id === id) === adding;
          const started = performance.now();
          const seen = Promise.all(clients.map((c) => c.until(check, 5000)));
          await (adding ? register(id, instances + k) : send(base + registryPaths.instance(id), 'DELETE'));
          times.push(Math.max(...(await seen)) - started);
          // Let every watcher put its next blocking query in place, as between real changes.
          await sleep(100);
        }
        const max = Math.max(...times);
        return {
          switchyard: max,
          baseline: goalMs,
          baselineName: 'the goal: 1000 ms',
          notes:
            `slowest of ${watchers} watchers per change: median ${median(times).toFixed(1)} ms, max ` +
            `${max.toFixed(1)} ms over ${changes} changes (${changes / 2} registrations, ${changes / 2} ` +
            `deregistrations) with ${instances} instances registered.`,
        };
      } finally {
        for (const c of clients) c.stop();
        await Promise.all(clients.map((c) => c.resolver.close()));
      }
    });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

export const cases: BenchCase[] = [
  {
    name: `registry change reaches ${watchers} watchers, ${instances} instances`,
    group,
    unit: 'ms',
    higherIsBetter: false,
    goal: { minRatio: 1, description: 'every watching client sees a change within 1 s (max over changes)' },
    run,
  },
];

export const groups: BenchGroup[] = [
  {
    name: group,
    about:
      'The hub (`startHub({ port: 0, dnsPort: 0, dataDir: <tmp>, checks: false })`, SQLite backend) runs ' +
      `in a child process; ${instances} instances of one service are registered through its HTTP API; ` +
      `${watchers} \`hubResolver\`s in the bench process (each its own connection pool and blocking-query ` +
      `watch) call \`watch(service, listener)\`. Then ${changes} changes, alternately a registration and ` +
      'a deregistration 100 ms apart, are each timed from the moment the write is sent until the last ' +
      "watcher's listener has the changed set. The Switchyard figure is the slowest change; the baseline " +
      'is the goal itself (1000 ms), so the ratio is 1000 / max and at least 1 means the goal is met.',
  },
];
