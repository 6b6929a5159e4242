import type { TransactionalEvent } from './events.js';
import type { TransactionalStore } from './types.js';

/**
 * Deletes what the store's retention no longer keeps, every `intervalMs` (0: never). Several processes
 * running it at once is harmless: each deletes a disjoint or empty set.
 */
export function startCleanup(
  store: Pick<TransactionalStore, 'cleanup'>,
  intervalMs: number,
  emit: (event: TransactionalEvent) => void,
): { stop(): void } {
  if (intervalMs <= 0) return { stop() {} };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    store
      .cleanup()
      .then((deleted) => {
        for (const table of ['outbox', 'inbox', 'operations'] as const)
          if (deleted[table] > 0) emit({ type: 'cleanup', table, deleted: deleted[table] });
      })
      .catch(() => {
        // the next round tries again; the rows only wait longer
      })
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
