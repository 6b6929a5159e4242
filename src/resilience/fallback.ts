import { isUnanswered } from './classify.js';
import { Emitter, type Event } from './events.js';
import { check, toContext, type ExecuteContext, type ExecuteOptions, type Policy } from './policy.js';

/** Returned by an `omit` fallback: a composer drops the field instead of failing the whole response. */
export const OMITTED: unique symbol = Symbol('switchyard.omitted');

export type FallbackKind =
  | { kind: 'rethrow' }
  | { kind: 'value'; value: unknown }
  | {
      kind: 'cache';
      /** A remembered result older than this is not served. */
      maxAgeMs: number;
      /** The cache key of an input; `JSON.stringify(input)` by default. */
      key?(input: unknown): string;
      /** Keys remembered at most (least recently stored go first); 1000 by default. */
      maxEntries?: number;
    }
  | { kind: 'omit' };

export type FallbackOptions = FallbackKind & {
  /** Which errors fall back; see `isUnanswered` for the default. Others are rethrown. */
  handles?(error: unknown): boolean;
  /** Clock of the cache's ages. */
  now?: () => number;
};

export interface FallbackEvent {
  readonly kind: FallbackKind['kind'];
  readonly error: unknown;
}

/** What a fallback may return instead of the call's result. */
export type FallbackAlt<O> = O extends { kind: 'value'; value: infer V }
  ? V
  : O extends { kind: 'omit' }
    ? typeof OMITTED
    : never;

export interface FallbackPolicy<Alt = never> extends Policy<Alt> {
  readonly onFallback: Event<FallbackEvent>;
}

const defaultKey = (input: unknown) => (input === undefined ? '' : JSON.stringify(input));

/**
 * Stands in when the call fails with an error it handles: a fixed value, the last good result for
 * the same input while it is fresh enough, or OMITTED. `rethrow` is the explicit "no stand-in" (so a
 * per-operation config can switch off a default fallback).
 */
export function fallback<const O extends FallbackOptions>(options: O): FallbackPolicy<FallbackAlt<O>> {
  const handles = options.handles ?? isUnanswered;
  const now = options.now ?? Date.now;
  const fallbacks = new Emitter<FallbackEvent>();
  const cache = options.kind === 'cache' ? new Map<string, { value: unknown; at: number }>() : undefined;
  if (options.kind === 'cache') check(options.maxAgeMs > 0, 'fallback: maxAgeMs must be positive');
  const keyOf = options.kind === 'cache' ? (options.key ?? defaultKey) : defaultKey;
  const maxEntries = options.kind === 'cache' ? (options.maxEntries ?? 1000) : 0;

  function remember(input: unknown, value: unknown): void {
    const key = keyOf(input);
    cache!.delete(key); // re-inserted last, so Map order is storage order
    cache!.set(key, { value, at: now() });
    if (cache!.size > maxEntries) cache!.delete(cache!.keys().next().value!);
  }

  function standIn(error: unknown, input: unknown): unknown {
    if (options.kind === 'rethrow' || !handles(error)) throw error;
    let value: unknown = OMITTED;
    if (options.kind === 'value') value = options.value;
    else if (options.kind === 'cache') {
      const entry = cache!.get(keyOf(input));
      // "Younger than maxAgeMs": a result exactly maxAgeMs old is stale.
      if (entry === undefined || now() - entry.at >= options.maxAgeMs) throw error;
      value = entry.value;
    }
    if (fallbacks.listening) fallbacks.emit({ kind: options.kind, error });
    return value;
  }

  return {
    onFallback: fallbacks.event,
    async execute<T>(
      fn: (ctx: ExecuteContext) => Promise<T>,
      opts?: ExecuteOptions,
    ): Promise<T | FallbackAlt<O>> {
      const ctx = toContext(opts);
      try {
        const value = await fn(ctx);
        if (cache) remember(ctx.input, value);
        return value;
      } catch (error) {
        return standIn(error, ctx.input) as T | FallbackAlt<O>;
      }
    },
  };
}
