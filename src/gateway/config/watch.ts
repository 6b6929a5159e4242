import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` after the file changes, once per burst of writes. The folder is watched rather
 * than the file: editors and deploy tools replace a file by renaming another over it, which a watch
 * on the file itself would not survive.
 */
export function watchFile(file: string, onChange: () => void, debounceMs = 150): () => void {
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(file), (_event, changed) => {
    if (changed !== null && changed !== name) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  watcher.on('error', () => {}); // a folder removed under us: reloads stop, serving goes on
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
