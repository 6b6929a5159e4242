import { SwitchyardError } from '../../errors/index.js';
import type { HealthState, Instance, InstanceSet } from '../types.js';
import { createHealthChecker, type Transition } from './health-checker.js';
import { createProber, type Probe } from './probes.js';
import { parseRegistration } from './schema.js';
import type { RegistryBackend, RegistryChange, RegistrySnapshot } from './types.js';

export interface RegistryOptions {
  backend: RegistryBackend;
  /** TTL of registrations that name none (default `hubDefaults.ttlSeconds`). */
  ttlSeconds?: number;
  /** Active checks: on (default), off, or run with another probe (tests). */
  checks?: boolean | { probe: Probe };
  onTransition?: (transition: Transition) => void;
}

export interface WaitOptions {
  /** The index the caller last saw; resolves once the set's index is greater. */
  index: number;
  /** How long to wait before answering with the unchanged set. */
  waitMs: number;
  major?: number;
  signal?: AbortSignal;
}

/** The registry as the hub serves it: validation, health checks, and the served (passing) view. */
export interface Registry {
  readonly backend: RegistryBackend;
  /** Validates a registration (INVALID_ARGUMENT naming the field), runs its first check, stores it. */
  register(body: unknown, options?: { id?: string }): Promise<Instance>;
  heartbeat(id: string): Promise<boolean>;
  deregister(id: string): Promise<boolean>;
  /** Names of services with at least one instance, in any state. */
  services(): Promise<string[]>;
  /** Passing instances of a service (optionally of one major version) and the service's index. */
  service(name: string, options?: { major?: number }): Promise<InstanceSet>;
  /** Every instance in every state. */
  instances(service?: string): Promise<Instance[]>;
  /** A Consul-style blocking query. */
  waitForChange(name: string, options: WaitOptions): Promise<InstanceSet>;
  /** Calls `listener` with the served set now and after every change of the service. */
  watch(name: string, listener: (set: InstanceSet) => void): () => void;
  /** Stops checks and watchers, and closes the backend. */
  close(): Promise<void>;
}

/** Only passing instances are served: `warning` (HTTP 429) means "send nothing new". */
export const servedStates: ReadonlySet<HealthState> = new Set(['passing']);

export async function createRegistry(options: RegistryOptions): Promise<Registry> {
  const { backend } = options;
  const custom = typeof options.checks === 'object' ? options.checks.probe : undefined;
  const prober = options.checks === false || custom ? undefined : createProber();
  const probe = custom ?? prober?.probe;
  const checker = probe
    ? createHealthChecker({
        backend,
        probe,
        ...(backend.owns ? { owns: (id: string) => backend.owns!(id) } : {}),
        ...(options.onTransition ? { onTransition: options.onTransition } : {}),
      })
    : undefined;
  await checker?.start();

  // Blocking queries still waiting, so `close` can answer them instead of leaving their timers behind.
  const waiting = new Set<() => void>();
  // One backend subscription fans out to the watchers of each service.
  const watchers = new Map<string, Set<(change: RegistryChange) => void>>();
  const stopBackend = backend.watch((change) => {
    const service = change.type === 'remove' ? change.service : change.entry.instance.service;
    for (const listener of [...(watchers.get(service) ?? [])]) listener(change);
  });
  const subscribe = (service: string, listener: (change: RegistryChange) => void) => {
    const set = watchers.get(service) ?? new Set();
    set.add(listener);
    watchers.set(service, set);
    return () => {
      set.delete(listener);
      if (set.size === 0 && watchers.get(service) === set) watchers.delete(service);
    };
  };

  const served = (snapshot: RegistrySnapshot, service: string, major?: number): InstanceSet => ({
    service,
    index: snapshot.index,
    instances: snapshot.entries
      .map((e) => e.instance)
      .filter((i) => servedStates.has(i.health) && (major === undefined || majorOf(i.version) === major)),
  });
  const service = async (name: string, opts: { major?: number } = {}) =>
    served(await backend.list(name), name, opts.major);

  return {
    backend,
    async register(body, opts = {}) {
      const registration = parseRegistration(body, {
        ...opts,
        ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
      });
      // Fail closed: an instance with a check is served only once the check has passed.
      const health: HealthState = registration.check && probe ? await probe(registration.check) : 'passing';
      return backend.upsert(registration, { health });
    },
    heartbeat: (id) => backend.heartbeat(id),
    deregister: (id) => backend.remove(id),
    async services() {
      const names = new Set((await backend.list()).entries.map((e) => e.instance.service));
      return [...names].sort();
    },
    service,
    async instances(name) {
      return (await backend.list(name)).entries.map((e) => e.instance);
    },
    waitForChange(name, opts) {
      return new Promise<InstanceSet>((resolve, reject) => {
        let settled = false;
        const finish = (outcome: Promise<InstanceSet>) => {
          if (settled) return;
          settled = true;
          waiting.delete(onClose);
          stop();
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          outcome.then(resolve, reject);
        };
        // Subscribe before reading, so a change between the read and the subscription is not missed.
        const stop = subscribe(name, (change) => {
          if (change.index > opts.index) finish(service(name, opts));
        });
        const timer = setTimeout(() => finish(service(name, opts)), Math.max(0, opts.waitMs));
        const onAbort = () => finish(Promise.reject(opts.signal!.reason));
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        const onClose = () =>
          finish(Promise.reject(new SwitchyardError('UNAVAILABLE', 'the registry is closing')));
        waiting.add(onClose);
        if (opts.signal?.aborted) onAbort();
        service(name, opts).then(
          (current) => current.index > opts.index && finish(Promise.resolve(current)),
          (error: unknown) => finish(Promise.reject(error)),
        );
      });
    },
    watch(name, listener) {
      // Changes that arrive together (a burst of registrations) are read and sent once.
      let pending = false;
      let stopped = false;
      let last = -1;
      const flush = () => {
        pending = false;
        if (stopped) return;
        service(name).then(
          (set) => {
            // Reads may finish out of order; an older set never follows a newer one.
            if (!stopped && set.index > last) {
              last = set.index;
              listener(set);
            }
          },
          () => undefined,
        );
      };
      const stop = subscribe(name, () => {
        if (pending) return;
        pending = true;
        setImmediate(flush);
      });
      flush();
      return () => {
        stopped = true;
        stop();
      };
    },
    async close() {
      for (const cancel of [...waiting]) cancel();
      stopBackend();
      watchers.clear();
      checker?.close();
      await prober?.close();
      await backend.close();
    },
  };
}

function majorOf(version: string): number {
  return Number.parseInt(version, 10);
}
