import { Emitter } from '../../resilience/events.js';
import type { Event } from '../../resilience/index.js';
import { registryPaths } from '../hub-api.js';
import type { Instance, Resolver } from '../types.js';
import { RefreshingCache } from './cache.js';
import { cacheKey, unavailable, type FreshEvent, type StaleEvent } from './common.js';
import { HubHttp } from './hub-http.js';
import { parseSet, ServiceWatch } from './hub-watch.js';

export interface HubResolverOptions {
  /** Default `http://127.0.0.1:7070`. */
  url?: string;
  token?: string;
  /**
   * Keep each resolved service current with a watch (default true). With false, a resolved set is
   * served for `refreshMs` and then re-read in the background.
   */
  watch?: boolean;
  /** How long the hub may hold a watch request open (default 30). */
  waitSeconds?: number;
  /** Without a watch: how long a set is served before it is read again (default 5000). */
  refreshMs?: number;
  /** Between attempts to reach a hub that is down (defaults 100 ms doubling to 5 s, jittered). */
  backoff?: { initialMs?: number; maxMs?: number };
}

export interface HubResolver extends Resolver {
  watch(service: string, listener: (instances: readonly Instance[]) => void): () => void;
  close(): Promise<void>;
  /** The hub became unreachable and last known instances are being served (once per outage). */
  readonly onStale: Event<StaleEvent>;
  /** The hub answered again after `onStale`. */
  readonly onFresh: Event<FreshEvent>;
}

/**
 * Resolves through the hub registry and caches per service and major version. The first `resolve`
 * of a service reads it and starts a watch; later ones answer from memory. When the hub is down the
 * last known instances keep being served; only a service never seen fails (UNAVAILABLE).
 */
export function hubResolver(options: HubResolverOptions = {}): HubResolver {
  const http = new HubHttp(options);
  const stale = new Emitter<StaleEvent>();
  const fresh = new Emitter<FreshEvent>();
  const watches = new Map<string, ServiceWatch>();
  const abort = new AbortController();
  let closed = false;
  const polled =
    options.watch === false
      ? new RefreshingCache<readonly Instance[]>({
          ttlMs: options.refreshMs ?? 5000,
          onStale: (key, instances, error) =>
            stale.emit({ ...split(key), instances: instances.length, error }),
          onFresh: (key) => fresh.emit(split(key)),
        })
      : undefined;
  const majors = new Map<string, { service: string; major?: number }>();
  // Events carry service and major; the cache only knows its key.
  const split = (key: string) => majors.get(key) ?? { service: key };

  function watchOf(service: string, major: number | undefined): ServiceWatch {
    const key = cacheKey(service, major);
    let watch = watches.get(key);
    if (!watch) {
      watch = new ServiceWatch({
        http,
        service,
        ...(major === undefined ? {} : { major }),
        waitSeconds: options.waitSeconds ?? 30,
        backoff: options.backoff ?? {},
        onStale: (e) => stale.emit(e),
        onFresh: (e) => fresh.emit(e),
      });
      watches.set(key, watch);
    }
    return watch;
  }

  async function readOnce(service: string, major: number | undefined): Promise<readonly Instance[]> {
    const search = major === undefined ? '' : `?major=${major}`;
    const res = await http.send('GET', registryPaths.service(service) + search, { signal: abort.signal });
    if (res.status !== 200) throw HubHttp.failure(res);
    return Object.freeze([...parseSet(res.body).instances]);
  }

  return {
    async resolve(service, resolveOptions) {
      const major = resolveOptions?.major;
      if (closed) throw unavailable(service, 'the resolver is closed');
      if (!polled) return watchOf(service, major).current();
      const key = cacheKey(service, major);
      majors.set(key, { service, ...(major === undefined ? {} : { major }) });
      return polled
        .get(key, () => readOnce(service, major))
        .catch((error: unknown) => {
          throw unavailable(service, (error as Error).message, error);
        });
    },
    watch(service, listener) {
      if (closed) return () => {};
      return watchOf(service, undefined).listen(listener);
    },
    onStale: stale.event,
    onFresh: fresh.event,
    async close() {
      if (closed) return;
      closed = true;
      abort.abort();
      await Promise.all([...watches.values()].map((w) => w.close()));
      await polled?.settled();
      await http.close();
    },
  };
}
