import type { Etcd3, IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import { SwitchyardError } from '../../errors/index.js';
import type { HealthState, Registration } from '../types.js';
import { toEntry } from './entry.js';
import type { RegistryChange, RegistryEntry, RegistrySnapshot } from './types.js';

/** One instance key as this hub last saw it. */
export interface Stored {
  readonly entry: RegistryEntry;
  readonly registration: string;
  readonly lease: string;
  readonly modRevision: number;
}

/** The value stored under `<prefix>instances/<id>`. */
export interface StoredValue {
  registration: Registration;
  health: HealthState;
}

export interface MirrorOptions {
  client: Etcd3;
  /** Key prefix of instance keys, ending in `/`. */
  prefix: string;
  emit(change: RegistryChange): void;
}

/**
 * A local copy of every instance key, loaded once and then kept current by one prefix watch (the
 * informer pattern): reads are served from memory, and watchers hear each change exactly when the
 * copy shows it. A watch that etcd cancels (its revision was compacted) is replaced by a fresh load,
 * whose differences are emitted as changes.
 */
export function createMirror(options: MirrorOptions) {
  const { client, prefix, emit } = options;
  const byId = new Map<string, Stored>();
  const serviceIndex = new Map<string, number>();
  const waiters: Array<{ revision: number; resolve(): void }> = [];
  let revision = 0;
  let watcher: Watcher | undefined;
  let closed = false;

  const decode = (kv: IKeyValue): Stored | undefined => {
    try {
      const value = JSON.parse(kv.value.toString()) as StoredValue;
      return {
        entry: toEntry(value.registration, value.health),
        registration: JSON.stringify(value.registration),
        lease: kv.lease,
        modRevision: Number(kv.mod_revision),
      };
    } catch {
      return undefined; // Not ours: someone wrote under our prefix by hand.
    }
  };

  const put = (id: string, next: Stored, index: number) => {
    const previous = byId.get(id);
    byId.set(id, next);
    const service = next.entry.instance.service;
    if (previous && previous.entry.instance.service !== service) remove(id, previous, index);
    serviceIndex.set(service, index);
    const sameRegistration = previous?.registration === next.registration;
    if (sameRegistration && previous?.entry.instance.health === next.entry.instance.health) return;
    emit({ type: sameRegistration ? 'health' : 'upsert', index, entry: next.entry });
  };

  const remove = (id: string, previous: Stored, index: number) => {
    const service = previous.entry.instance.service;
    serviceIndex.set(service, index);
    emit({ type: 'remove', index, service, id });
  };

  const advance = (to: number) => {
    if (to <= revision) return;
    revision = to;
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.revision <= revision) waiters.splice(i, 1)[0]!.resolve();
    }
  };

  const onData = (res: IWatchResponse) => {
    for (const event of res.events) {
      const id = event.kv.key.toString().slice(prefix.length);
      const index = Number(event.kv.mod_revision);
      if (event.type === 'Put') {
        const next = decode(event.kv);
        if (next) put(id, next, index);
      } else {
        const previous = byId.get(id);
        if (previous) {
          byId.delete(id);
          remove(id, previous, index);
        }
      }
      advance(index);
    }
    advance(Number(res.header.revision));
  };

  /** Loads every key and watches from just after the load; a reload emits what changed meanwhile. */
  const load = async () => {
    const res = await client.getAll().prefix(prefix).exec();
    const loaded = Number(res.header.revision);
    const seen = new Set<string>();
    for (const kv of res.kvs) {
      const id = kv.key.toString().slice(prefix.length);
      const next = decode(kv);
      if (!next) continue;
      seen.add(id);
      const previous = byId.get(id);
      // A service's last change may lie anywhere before the load: the load revision bounds it.
      if (previous?.modRevision !== next.modRevision) put(id, next, loaded);
    }
    for (const [id, previous] of [...byId]) {
      if (seen.has(id)) continue;
      byId.delete(id);
      remove(id, previous, loaded);
    }
    advance(loaded);
    watcher = await client
      .watch()
      .prefix(prefix)
      .startRevision(String(loaded + 1))
      .create();
    watcher.on('data', onData);
    watcher.on('error', () => {
      watcher = undefined;
      if (!closed) void reload();
    });
  };

  const reload = async (): Promise<void> => {
    for (let attempt = 0; !closed; attempt++) {
      try {
        return await load();
      } catch {
        await new Promise((done) => setTimeout(done, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  };

  return {
    start: load,
    get: (id: string) => byId.get(id),
    get revision() {
      return revision;
    },
    list(service?: string): RegistrySnapshot {
      const entries = [...byId.values()]
        .map((s) => s.entry)
        .filter((e) => service === undefined || e.instance.service === service)
        .sort(
          (a, b) => compare(a.instance.service, b.instance.service) || compare(a.instance.id, b.instance.id),
        );
      const index = service === undefined ? revision : (serviceIndex.get(service) ?? revision);
      return { index, entries };
    },
    /** Resolves once this copy shows the write of `target` (read your writes). */
    async caughtUp(target: number, timeoutMs = 5000): Promise<void> {
      if (revision >= target) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          const at = waiters.indexOf(waiter);
          if (at >= 0) waiters.splice(at, 1);
          reject(
            new SwitchyardError(
              'UNAVAILABLE',
              `etcd watch did not deliver revision ${target} in ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
        const waiter = { revision: target, resolve: () => (clearTimeout(timer), resolve()) };
        waiters.push(waiter);
      });
    },
    async close(): Promise<void> {
      closed = true;
      await watcher?.cancel().catch(() => undefined);
    },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
