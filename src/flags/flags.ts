import { SwitchyardError } from '../errors/index.js';
import { compileFlag, evaluateFlag, type CompiledFlag } from './evaluate.js';
import { flagSourceOf, type FlagSourceSpec } from './sources.js';
import type { EvaluationContext, Evaluation, FlagDocument } from './types.js';

/** Where flags come from. A source delivers whole, validated documents; it never serves half a change. */
export interface FlagSource {
  readonly name: string;
  /** Starts delivering: `update` with each new document, `error` when one could not be had. */
  start(sink: FlagSink): void;
  close(): Promise<void>;
}

export interface FlagSink {
  update(document: FlagDocument): void;
  error(error: SwitchyardError): void;
}

export interface FlagChange {
  /** Keys added, removed or redefined; empty when the source merely recovered from an error. */
  readonly changed: readonly string[];
}

export interface Flags {
  /** Synchronous and allocation-light: made for the request path. Never throws. */
  evaluate(key: string, context?: EvaluationContext): Evaluation;
  /** Whether the flag evaluates to `true` (false for unknown flags and non-boolean values). */
  isEnabled(key: string, context?: EvaluationContext): boolean;
  keys(): string[];
  /** True after a source error, until the source delivers again; the flags in force may be out of date. */
  readonly stale: boolean;
  /** Hears changes, and the source's recovery after an error. */
  onChange(listener: (change: FlagChange) => void): () => void;
  /** Errors of the source (a bad file, an unreachable hub); the last good flags stay in force. */
  onError(listener: (error: SwitchyardError) => void): () => void;
  /** Resolves with the first document; rejects if the source failed before delivering one. */
  ready(): Promise<void>;
  /** Closes the source. */
  close(): Promise<void>;
}

/** Flags from a source, a document given in code, or `{ file }` / `{ hub }`. */
export function createFlags(source: FlagSourceSpec): Flags {
  const from = flagSourceOf(source);
  let compiled = new Map<string, CompiledFlag>();
  let definitions: FlagDocument['flags'] = {};
  let loaded = false;
  let stale = false;
  let firstError: SwitchyardError | undefined;
  const changeListeners = new Set<(change: FlagChange) => void>();
  const errorListeners = new Set<(error: SwitchyardError) => void>();
  const settled = new Set<() => void>();

  from.start({
    update(document) {
      const next = document.flags;
      const changed = [...new Set([...Object.keys(definitions), ...Object.keys(next)])].filter(
        (key) => JSON.stringify(definitions[key]) !== JSON.stringify(next[key]),
      );
      compiled = new Map(Object.entries(next).map(([key, def]) => [key, compileFlag(key, def)]));
      definitions = next;
      loaded = true;
      const recovered = stale;
      stale = false;
      for (const wake of [...settled]) wake();
      if (changed.length > 0 || recovered)
        for (const listener of [...changeListeners]) notify(listener, { changed });
    },
    error(error) {
      if (loaded) stale = true;
      else firstError ??= error;
      for (const wake of [...settled]) wake();
      for (const listener of [...errorListeners]) notify(listener, error);
    },
  });

  const evaluate = (key: string, context: EvaluationContext = {}): Evaluation => {
    const flag = compiled.get(key);
    if (flag) return evaluateFlag(flag, context);
    if (!loaded) return failed(key, 'PROVIDER_NOT_READY', `flags from ${from.name} are not loaded yet`);
    return failed(key, 'FLAG_NOT_FOUND', `no flag ${key} in ${from.name}`);
  };

  return {
    evaluate,
    isEnabled: (key, context) => evaluate(key, context).value === true,
    keys: () => [...compiled.keys()],
    get stale() {
      return stale;
    },
    onChange(listener) {
      changeListeners.add(listener);
      return () => void changeListeners.delete(listener);
    },
    onError(listener) {
      errorListeners.add(listener);
      return () => void errorListeners.delete(listener);
    },
    ready() {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!loaded && !firstError) return false;
          settled.delete(check);
          if (loaded) resolve();
          else reject(firstError);
          return true;
        };
        if (!check()) settled.add(check);
      });
    },
    close: () => from.close(),
  };
}

function failed(key: string, errorCode: Evaluation['errorCode'], errorMessage: string): Evaluation {
  return { key, value: undefined, variant: undefined, reason: 'ERROR', errorCode, errorMessage };
}

/** A listener's error must not stop the flags from updating; it surfaces as an uncaught exception. */
function notify<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
