import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { registryPaths } from '../../src/discovery/hub-api.js';
import { call, openSse, startHubProcess, type HubProcess, type SseStream } from './support.js';

const instances = 200;
const watchers = 20;

/**
 * Registers `instances` through the first hub, opens `watchers` streams spread over all hubs, and
 * times a registration and a deregistration until every stream shows it.
 */
async function measure(hubs: HubProcess[], streams: SseStream[]): Promise<void> {
  const writer = hubs[0]!;
  const register = (i: number) =>
    call(writer.url + registryPaths.instance(`orders-${i}`), 'PUT', {
      service: 'orders',
      version: '1.0.0',
      endpoints: { http: `10.0.${i >> 8}.${i & 255}:8080` },
      ttlSeconds: 20, // leases outlive the test by under a minute on the shared etcd
    });
  for (let i = 0; i < instances; i += 20)
    await Promise.all(Array.from({ length: 20 }, (_, k) => register(i + k)));
  for (let w = 0; w < watchers; w++)
    streams.push(await openSse(hubs[w % hubs.length]!.url + registryPaths.events('orders')));
  await Promise.all(streams.map((s) => s.until((set) => set.instances.length === instances)));

  for (const [label, change, expected] of [
    ['registration', () => register(instances), instances + 1],
    ['deregistration', () => call(writer.url + registryPaths.instance('orders-0'), 'DELETE'), instances],
  ] as const) {
    const before = Math.max(...streams.map((s) => s.events.at(-1)!.index));
    const started = performance.now();
    await change();
    const seen = await Promise.all(
      streams.map((s) =>
        s
          .until((set) => set.index > before && set.instances.length === expected, 2000)
          .then(() => performance.now() - started),
      ),
    );
    const slowest = Math.max(...seen);
    assert.ok(slowest < 1000, `${label} reached the slowest watcher after ${slowest.toFixed(0)} ms`);
    console.log(`# ${label}: all ${watchers} watchers within ${slowest.toFixed(0)} ms`);
  }
}

describe('watch latency: a change reaches every watcher within 1 s', () => {
  const hubs: HubProcess[] = [];
  const streams: SseStream[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-hub-load-'));
  const prefix = `switchyard-test/${randomUUID().slice(0, 8)}/`;
  after(async () => {
    for (const s of streams) s.close();
    await Promise.all(hubs.map((h) => h.stop('SIGTERM')));
    rmSync(dir, { recursive: true, force: true });
    const { Etcd3 } = await import('etcd3');
    const client = new Etcd3({ hosts: 'http://127.0.0.1:2379' });
    await client.delete().prefix(prefix).exec();
    client.close();
  });

  it(`sqlite hub: ${instances} instances, ${watchers} SSE watchers`, async () => {
    hubs.push(await startHubProcess(['--port', '0', '--dns-port', '0', '--data-dir', dir]));
    await measure(hubs.slice(0, 1), streams);
    for (const s of streams.splice(0)) s.close();
  });

  it(`two etcd hubs: written through one, ${watchers} watchers spread over both`, async () => {
    const args = ['--backend', 'etcd', '--etcd-prefix', prefix, '--port', '0', '--dns-port', '0'];
    const pair = await Promise.all([startHubProcess(args), startHubProcess(args)]);
    hubs.push(...pair);
    await measure(pair, streams);
  });
});
