import { importModule } from '../import-module.js';

/** One request of a mix. Requests of one `kind` share a row of the report. */
export interface LoadRequest {
  kind: string;
  method: string;
  /** Path and query, appended to the path of the base URL. */
  path: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Wait for the request's effect too, when the answer only says it was accepted. */
  settle?: Settle;
}

/**
 * End-to-end completion: after a 2xx/3xx answer, `path` (GET, same headers) is polled every `everyMs`
 * until `done(body)` holds or `timeoutMs` passes. The latency from the start of the request to that
 * moment is reported as the kind `${kind} (settled)`; a timeout counts there as the error "not settled".
 */
export interface Settle {
  /** The resource to poll, from the JSON body of the first answer. */
  path: (responseBody: any) => string;
  done: (body: any) => boolean;
  /** Default 100. */
  everyMs?: number;
  /** Counted from the first answer. Default 10 000. */
  timeoutMs?: number;
}

export interface LoadEnv {
  /** The `--url` of the run. */
  baseUrl: string;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

/**
 * What `switchyard load` sends. `setup` runs once before the run (to fetch a token, create fixtures);
 * `next` is called for every request, with a sequence number counting from 0 across the whole run.
 */
export interface LoadMix<S = unknown> {
  setup?(env: LoadEnv): Promise<S>;
  next(state: S, sequence: number): LoadRequest;
}

/** The default export of a mix module; only gives the mix its type. */
export function defineLoad<S = undefined>(mix: LoadMix<S>): LoadMix<S> {
  return mix;
}

/** The mix a module exports by default. */
export async function loadMix(path: string): Promise<LoadMix> {
  const mix = (await importModule(path)).default as Partial<LoadMix> | undefined;
  if (typeof mix?.next !== 'function')
    throw new Error(
      `${path}: the default export must be a mix made by defineLoad({ next(state, sequence) })`,
    );
  if (mix.setup !== undefined && typeof mix.setup !== 'function')
    throw new Error(`${path}: setup must be a function`);
  return mix as LoadMix;
}
