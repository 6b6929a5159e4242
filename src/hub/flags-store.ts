import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SwitchyardError } from '../errors/index.js';
import { parseFlagDefinition, parseFlagDocument } from '../flags/definition.js';
import type { FlagDefinition } from '../flags/types.js';

export interface FlagSnapshot {
  /** Grows by one with every change. */
  readonly index: number;
  readonly flags: Readonly<Record<string, FlagDefinition>>;
}

export interface WriteOptions {
  /** Refuse the write (FAILED_PRECONDITION) unless the flags are still at this index. */
  ifIndex?: number;
}

export interface FlagStore {
  read(): FlagSnapshot;
  /** Replaces every flag with a validated document `{ flags }`. */
  replace(document: unknown, options?: WriteOptions): Promise<FlagSnapshot>;
  put(key: string, definition: unknown, options?: WriteOptions): Promise<FlagSnapshot>;
  remove(key: string, options?: WriteOptions): Promise<FlagSnapshot>;
  /** The snapshot once its index differs from `index`, or the current one after `waitMs`. */
  waitForChange(options: { index: number; waitMs: number; signal?: AbortSignal }): Promise<FlagSnapshot>;
  close(): void;
}

/**
 * The hub's flags: one JSON file (`{ index, flags }`, replaced atomically by rename) read at start and
 * rewritten on every change, or memory only without a path. Writes are applied one at a time, so an
 * `ifIndex` check and the write it guards cannot interleave with another write.
 */
export async function openFlagStore(options: { path?: string } = {}): Promise<FlagStore> {
  const { path } = options;
  let snapshot: FlagSnapshot = path ? await load(path) : { index: 0, flags: {} };
  let queue: Promise<unknown> = Promise.resolve();
  const waiters = new Set<() => void>();

  const write = (options: WriteOptions, change: (flags: Record<string, FlagDefinition>) => void) => {
    const run = queue.then(async () => {
      if (options.ifIndex !== undefined && options.ifIndex !== snapshot.index)
        throw new SwitchyardError(
          'FAILED_PRECONDITION',
          `the flags changed since index ${options.ifIndex} (now ${snapshot.index}); read them again`,
          { details: { index: snapshot.index } },
        );
      const flags = { ...snapshot.flags };
      change(flags);
      const next = { index: snapshot.index + 1, flags };
      if (path) await save(path, next);
      snapshot = next;
      for (const wake of [...waiters]) wake();
      return next;
    });
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    read: () => snapshot,
    replace(document, options = {}) {
      const { flags } = parseFlagDocument(document);
      return write(options, (current) => {
        for (const key of Object.keys(current)) delete current[key];
        Object.assign(current, flags);
      });
    },
    put(key, definition, options = {}) {
      const flag = parseFlagDefinition(key, definition);
      return write(options, (current) => void (current[key] = flag));
    },
    remove(key, options = {}) {
      return write(options, (current) => void delete current[key]);
    },
    waitForChange({ index, waitMs, signal }) {
      if (snapshot.index !== index) return Promise.resolve(snapshot);
      return new Promise((resolve, reject) => {
        const done = () => {
          waiters.delete(done);
          clearTimeout(timer);
          signal?.removeEventListener('abort', cancel);
          resolve(snapshot);
        };
        const cancel = () => {
          waiters.delete(done);
          clearTimeout(timer);
          reject(new SwitchyardError('CANCELLED', 'the client went away'));
        };
        const timer = setTimeout(done, waitMs);
        waiters.add(done);
        signal?.addEventListener('abort', cancel, { once: true });
      });
    },
    close() {
      for (const wake of [...waiters]) wake();
    },
  };
}

async function load(path: string): Promise<FlagSnapshot> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { index: 0, flags: {} };
    throw error;
  }
  try {
    const saved = JSON.parse(text) as { index?: unknown; flags?: unknown };
    const { flags } = parseFlagDocument({ flags: saved.flags });
    if (!Number.isSafeInteger(saved.index)) throw new Error('no index');
    return { index: saved.index as number, flags };
  } catch (error) {
    // Serving no flags in place of broken ones would silently turn features off everywhere.
    throw new SwitchyardError(
      'FAILED_PRECONDITION',
      `the saved flags in ${path} are unreadable; fix or remove the file`,
      {
        cause: error,
      },
    );
  }
}

async function save(path: string, snapshot: FlagSnapshot): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(snapshot, null, 2) + '\n');
  await rename(temporary, path);
}
