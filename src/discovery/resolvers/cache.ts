/**
 * A cache that answers from memory and refreshes behind the caller (stale-while-revalidate): after
 * the first load no caller waits for the source, and when the source fails the last value keeps
 * being served. The DNS resolver and the hub resolver's polling mode share it.
 */
export interface RefreshingCacheOptions<T> {
  /** How long a value is fresh; the first `get` after that refreshes it in the background. */
  ttlMs: number;
  /** The first failed refresh of a key that has a value; not repeated until a refresh succeeds. */
  onStale?(key: string, value: T, error: unknown): void;
  /** A refresh succeeded after `onStale`. */
  onFresh?(key: string): void;
  now?: () => number;
}

interface Entry<T> {
  value?: T;
  has: boolean;
  checkedAt: number;
  stale: boolean;
  loading?: Promise<T>;
}

export class RefreshingCache<T> {
  readonly #options: RefreshingCacheOptions<T>;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry<T>>();

  constructor(options: RefreshingCacheOptions<T>) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The value, loading it first if there is none; rejects only when there has never been one. */
  get(key: string, load: () => Promise<T>): Promise<T> {
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { has: false, checkedAt: 0, stale: false };
      this.#entries.set(key, entry);
    }
    if (!entry.has) return entry.loading ?? this.#load(key, entry, load);
    if (!entry.loading && this.#now() - entry.checkedAt >= this.#options.ttlMs) {
      // Callers are not made to wait, and a failed refresh is not reported to them: they get the value.
      this.#load(key, entry, load).catch(() => {});
    }
    return Promise.resolve(entry.value as T);
  }

  /** Settles once no load is in flight, so callers can close without leaving work behind. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#entries.values()].map((e) => e.loading));
  }

  #load(key: string, entry: Entry<T>, load: () => Promise<T>): Promise<T> {
    const loading = load().then(
      (value) => {
        entry.value = value;
        entry.has = true;
        entry.checkedAt = this.#now();
        if (entry.stale) {
          entry.stale = false;
          this.#options.onFresh?.(key);
        }
        return value;
      },
      (error: unknown) => {
        // Checked, even though it failed: the next attempt waits a full TTL instead of hammering.
        entry.checkedAt = this.#now();
        if (entry.has && !entry.stale) {
          entry.stale = true;
          this.#options.onStale?.(key, entry.value as T, error);
        }
        throw error;
      },
    );
    entry.loading = loading;
    const clear = () => {
      if (entry.loading === loading) entry.loading = undefined;
    };
    loading.then(clear, clear);
    return loading;
  }
}
