import { SwitchyardError } from '../../errors/index.js';
import { registryPaths } from '../hub-api.js';
import type { Instance, InstanceSet } from '../types.js';
import { backoff, unavailable, type FreshEvent, type StaleEvent } from './common.js';
import { HubHttp } from './hub-http.js';

export interface ServiceWatchOptions {
  http: HubHttp;
  service: string;
  major?: number;
  /** How long the hub may hold a blocking query open. */
  waitSeconds: number;
  backoff: { initialMs?: number; maxMs?: number };
  onStale(event: StaleEvent): void;
  onFresh(event: FreshEvent): void;
}

type Listener = (instances: readonly Instance[]) => void;

/** Below this, an unchanged answer to a blocking query means the hub is not blocking: slow down. */
const minQueryGapMs = 200;
/** A caller with nothing to use may cut a backoff short, but not more often than this. */
const minRetryMs = 200;

/**
 * Keeps one service's instances current with the hub's blocking queries: a plain read, then
 * `?index=<last>&wait=<n>s` in a loop. Chosen over the SSE stream because every request is bounded
 * (a silently dead connection is noticed within `wait` plus slack; a stream with no traffic cannot
 * tell dead from quiet), each answer is the full set with its index (nothing is lost between
 * reconnects), and a restarted hub shows as a failed request followed by a plain read.
 */
export class ServiceWatch {
  readonly #o: ServiceWatchOptions;
  readonly #delays: ReturnType<typeof backoff>;
  readonly #abort = new AbortController();
  readonly #listeners = new Set<Listener>();
  #instances: readonly Instance[] | undefined;
  #signature = '';
  #index = 0;
  /** The next request is a plain read: the first one, and the first after any failure. */
  #plain = true;
  #stale = false;
  #lastError: unknown;
  #failedAt = -Infinity;
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: ServiceWatchOptions) {
    this.#o = options;
    this.#delays = backoff(options.backoff);
    this.#run();
  }

  /** The last known instances (however old); waits for the first answer; UNAVAILABLE if there is none. */
  async current(): Promise<readonly Instance[]> {
    if (this.#instances) return this.#instances;
    if (!this.#inFlight && !this.#closed && performance.now() - this.#failedAt >= minRetryMs) {
      clearTimeout(this.#timer);
      this.#run();
    }
    await this.#inFlight;
    if (this.#instances) return this.#instances;
    const reason = this.#closed ? 'the resolver is closed' : (this.#lastError as Error | undefined)?.message;
    throw unavailable(this.#o.service, reason ?? 'no answer from the hub', this.#lastError);
  }

  /** Hears the current set (once known) and every change after it. */
  listen(listener: Listener): () => void {
    this.#listeners.add(listener);
    const known = this.#instances;
    if (known) queueMicrotask(() => this.#listeners.has(listener) && call(listener, known));
    return () => void this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    this.#listeners.clear();
    await this.#inFlight;
  }

  #run(): void {
    this.#timer = undefined;
    const attempt = this.#query().then(
      (delayMs) => (this.#delays.reset(), delayMs),
      (error: unknown) => (this.#fail(error), this.#delays.next()),
    );
    this.#inFlight = attempt.then((delayMs) => {
      this.#inFlight = undefined;
      if (this.#closed) return;
      if (delayMs === 0) this.#run();
      else this.#timer = setTimeout(() => this.#run(), delayMs).unref();
    });
  }

  /** One request; resolves with how long to wait before the next. */
  async #query(): Promise<number> {
    const { http, service, major, waitSeconds } = this.#o;
    const blocking = !this.#plain;
    const query = new URLSearchParams();
    if (major !== undefined) query.set('major', String(major));
    if (blocking) {
      query.set('index', String(this.#index));
      query.set('wait', `${waitSeconds}s`);
    }
    const started = performance.now();
    const search = query.toString();
    const res = await http.send('GET', registryPaths.service(service) + (search ? `?${search}` : ''), {
      signal: this.#abort.signal,
      timeoutMs: blocking ? waitSeconds * 1000 + 5000 : 5000,
    });
    if (res.status !== 200) throw HubHttp.failure(res);
    const set = parseSet(res.body);
    const changed = this.#apply(set, blocking);
    if (this.#stale) {
      this.#stale = false;
      this.#o.onFresh({ service, ...(major === undefined ? {} : { major }) });
    }
    return !changed && blocking && performance.now() - started < minQueryGapMs ? minQueryGapMs : 0;
  }

  #apply(set: InstanceSet, blocking: boolean): boolean {
    // An equal index on a blocking answer is the `wait` running out; anything else (a plain read, an
    // index that went backwards because the hub restarted) is compared by content.
    if (blocking && set.index === this.#index && this.#instances) return false;
    this.#index = set.index;
    this.#plain = false;
    const signature = JSON.stringify(set.instances);
    if (this.#instances && signature === this.#signature) return false;
    this.#signature = signature;
    const instances = Object.freeze([...set.instances]);
    this.#instances = instances;
    for (const listener of [...this.#listeners]) call(listener, instances);
    return true;
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    this.#lastError = error;
    this.#failedAt = performance.now();
    this.#plain = true;
    if (this.#instances && !this.#stale) {
      this.#stale = true;
      const { service, major } = this.#o;
      this.#o.onStale({
        service,
        ...(major === undefined ? {} : { major }),
        instances: this.#instances.length,
        error,
      });
    }
  }
}

/** A listener's error must not stop the watch; it surfaces as an uncaught exception instead. */
function call(listener: Listener, instances: readonly Instance[]): void {
  try {
    listener(instances);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

export function parseSet(body: unknown): InstanceSet {
  const set = body as Partial<InstanceSet> | undefined;
  if (typeof set?.index !== 'number' || !Array.isArray(set.instances) || typeof set.service !== 'string') {
    throw new SwitchyardError('INTERNAL', 'the hub answered with something that is not an instance set');
  }
  return set as InstanceSet;
}
