import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SwitchyardError } from '../errors/index.js';
import { parseFlagDocument } from './definition.js';
import type { FlagSource } from './flags.js';

export interface FileFlagSourceOptions {
  /** Quiet time after a change before the file is read, so an editor's several writes make one reload. Default 50 ms. */
  debounceMs?: number;
}

/**
 * Flags from a YAML or JSON file (by extension; YAML otherwise), reloaded when it changes. The folder
 * is watched rather than the file: editors and config mounts replace files by renaming, which a watch
 * on the file itself stops seeing. A file that does not parse or validate is reported and ignored;
 * the last good flags stay in force.
 */
export function fileFlagSource(path: string, options: FileFlagSourceOptions = {}): FlagSource {
  const file = resolve(path);
  const debounceMs = options.debounceMs ?? 50;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastText: string | undefined;
  let reading: Promise<void> | undefined;
  let again = false;
  let closed = false;

  return {
    name: `file ${basename(file)}`,
    start(sink) {
      const read = async () => {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (error) {
          lastText = undefined;
          const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
          sink.error(
            new SwitchyardError(missing ? 'NOT_FOUND' : 'UNAVAILABLE', `cannot read flags from ${file}`, {
              details: { path: file },
              cause: error,
            }),
          );
          return;
        }
        if (text === lastText || closed) return;
        lastText = text;
        try {
          sink.update(parseFlagDocument(parseText(file, text)));
        } catch (error) {
          const failure = SwitchyardError.from(error);
          sink.error(
            new SwitchyardError(failure.code, `${file}: ${failure.message}`, {
              details: { ...failure.details, path: file },
              cause: error,
            }),
          );
        }
      };
      // One read at a time; changes during a read cause exactly one more.
      const reload = () => {
        if (reading) {
          again = true;
          return;
        }
        reading = read().finally(() => {
          reading = undefined;
          if (again && !closed) {
            again = false;
            reload();
          }
        });
      };
      reload();
      try {
        watcher = watch(dirname(file), { persistent: false }, () => {
          clearTimeout(timer);
          timer = setTimeout(reload, debounceMs);
        });
        watcher.on('error', (error) => sink.error(SwitchyardError.from(error)));
      } catch (error) {
        sink.error(new SwitchyardError('NOT_FOUND', `cannot watch ${dirname(file)}`, { cause: error }));
      }
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
      await reading;
    },
  };
}

function parseText(file: string, text: string): unknown {
  try {
    return extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const message = `Expected ${extname(file) === '.json' ? 'JSON' : 'YAML'} (${(error as Error).message})`;
    throw new SwitchyardError('INVALID_ARGUMENT', message, {
      details: { violations: [{ path: '/', rule: 'syntax', message }] },
    });
  }
}
