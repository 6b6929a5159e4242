/**
 * Clients of the gateway benchmark: an undici Pool per target posting the echo, and an open-loop load
 * that sends at a fixed rate whatever the answers do, for latency at a given throughput.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { percentile } from '../measure.js';
import { echoPath, type Echo } from './echo.js';

export interface EchoTarget {
  call(input: Echo): Promise<unknown>;
  close(): Promise<void>;
}

/** `POST /v1/echo` through `address` with `connections` keep-alive connections; throws unless 200. */
export function echoTarget(
  address: string,
  connections: number,
  headers: Record<string, string> = {},
): EchoTarget {
  const pool = new Pool(`http://${address}`, { connections });
  const all = { 'content-type': 'application/json', accept: 'application/json', ...headers };
  return {
    async call(input) {
      const res = await pool.request({
        method: 'POST',
        path: echoPath,
        headers: all,
        body: JSON.stringify(input),
      });
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${await res.body.text()}`);
      return res.body.json();
    },
    close: () => pool.close(),
  };
}

/**
 * Sends `rate` calls per second for `ms` on a fixed schedule (calls due in the same timer tick go
 * together), timing each from its send to its answer. Returns the p50 and p99 in µs.
 */
export async function pacedLatency(
  call: () => Promise<unknown>,
  rate: number,
  ms: number,
): Promise<{ p50: number; p99: number; sent: number }> {
  const latencies: number[] = [];
  const pending = new Set<Promise<unknown>>();
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < ms) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (sent < due) {
      sent++;
      const began = performance.now();
      const p: Promise<unknown> = call().then(() => latencies.push((performance.now() - began) * 1000));
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), sent };
}
