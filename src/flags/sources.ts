import { SwitchyardError } from '../errors/index.js';
import { parseFlagDocument } from './definition.js';
import { fileFlagSource } from './file-source.js';
import type { FlagSource } from './flags.js';
import { hubFlagSource, type HubFlagSourceOptions } from './hub-source.js';
import type { FlagDocument } from './types.js';

/**
 * What `createFlags` accepts: a source, a document given in code, or a source described as plain
 * data (the form a config file can hold, e.g. the gateway's `flags:` section).
 */
export type FlagSourceSpec =
  | FlagSource
  | FlagDocument
  | { readonly file: string; readonly debounceMs?: number }
  | { readonly hub: string | HubFlagSourceOptions };

export function flagSourceOf(spec: FlagSourceSpec): FlagSource {
  const value = spec as unknown as Record<string, unknown>;
  if (typeof value?.start === 'function') return spec as FlagSource;
  if (value && 'flags' in value) return staticSource(parseFlagDocument(value));
  if (typeof value?.file === 'string')
    return fileFlagSource(
      value.file,
      typeof value.debounceMs === 'number' ? { debounceMs: value.debounceMs } : {},
    );
  if (typeof value?.hub === 'string') return hubFlagSource({ url: value.hub });
  if (typeof value?.hub === 'object' && value.hub !== null)
    return hubFlagSource(value.hub as HubFlagSourceOptions);
  throw new SwitchyardError(
    'INVALID_ARGUMENT',
    'flags: expected a flag source, a document { flags }, { file: <path> } or { hub: <url> }',
  );
}

function staticSource(document: FlagDocument): FlagSource {
  return { name: 'code', start: (sink) => sink.update(document), close: async () => undefined };
}
