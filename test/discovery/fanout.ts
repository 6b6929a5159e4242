import { registryPaths } from '../../src/discovery/hub-api.js';
import { hubResolver, type HubResolver } from '../../src/discovery/resolvers/hub.js';
import { HubHttp } from '../../src/discovery/resolvers/hub-http.js';
import type { Instance, Registration } from '../../src/discovery/types.js';

export interface FanoutOptions {
  url: string;
  token?: string;
  service: string;
  instances: number;
  watchers: number;
  changes: number;
}

/**
 * Registers `instances` instances over HTTP, starts `watchers` resolvers watching the service, then
 * makes `changes` changes one by one (deregister one instance, register a new one) and measures, for
 * each, the time from the first write until every watcher has the new set. Talks only
 * HTTP, so it runs the same against the fake hub and the real one.
 */
export async function measureFanout(o: FanoutOptions): Promise<number[]> {
  const http = new HubHttp({ url: o.url, ...(o.token ? { token: o.token } : {}) });
  const resolvers: HubResolver[] = [];
  const latest: (readonly Instance[])[] = [];
  const waiting = new Set<() => void>();
  const put = async (id: string) => {
    const body: Registration = {
      id,
      service: o.service,
      version: '1.0.0',
      endpoints: { http: `127.0.0.1:${10_000 + (hash(id) % 50_000)}` },
      ttlSeconds: 300,
    };
    const res = await http.send('PUT', registryPaths.instance(id), { body });
    if (res.status !== 200) throw HubHttp.failure(res);
  };
  const remove = async (id: string) => {
    const res = await http.send('DELETE', registryPaths.instance(id));
    if (res.status >= 300 && res.status !== 404) throw HubHttp.failure(res);
  };
  const allHave = (check: (set: readonly Instance[]) => boolean) =>
    new Promise<void>((resolve) => {
      const test = () => {
        if (latest.length === o.watchers && latest.every(check)) {
          waiting.delete(test);
          resolve();
        }
      };
      waiting.add(test);
      test();
    });
  try {
    const live: string[] = [];
    for (let i = 0; i < o.instances; i++) live.push(`${o.service}-${i}`);
    await Promise.all(live.map(put));
    for (let w = 0; w < o.watchers; w++) {
      const r = hubResolver({ url: o.url, waitSeconds: 10 });
      resolvers.push(r);
      r.watch(o.service, (set) => {
        latest[w] = set;
        for (const test of [...waiting]) test();
      });
    }
    await allHave((set) => set.length === o.instances);
    const latencies: number[] = [];
    for (let c = 0; c < o.changes; c++) {
      const gone = live.shift()!;
      const added = `${o.service}-new-${c}`;
      live.push(added);
      const started = performance.now();
      await remove(gone);
      await put(added);
      await allHave((set) => set.some((i) => i.id === added) && !set.some((i) => i.id === gone));
      latencies.push(Math.round(performance.now() - started));
    }
    await Promise.all(live.map(remove));
    return latencies;
  } finally {
    await Promise.all(resolvers.map((r) => r.close()));
    await http.close();
  }
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
}
