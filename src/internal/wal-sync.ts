import { open } from 'node:fs/promises';
import { SwitchyardError } from '../errors/index.js';

/** How a SQLite file in WAL mode reaches the disk; see `sqliteSynchronous`. */
export type Durability = 'commit' | 'interval';

/** How often `interval` durability flushes the WAL: a power loss loses at most about this much. */
export const walSyncIntervalMs = 1_000;

export interface WalFlusher {
  /** Stops the timer and flushes once more, for a close. */
  stop(): Promise<void>;
}

/**
 * `commit` fsyncs the WAL at every commit (`synchronous = FULL`): a committed write survives a power
 * loss. `interval` lets commits reach the WAL file without waiting for the disk (`synchronous =
 * NORMAL`) and fsyncs it every `walSyncIntervalMs` instead, as NATS JetStream (`sync_interval`) and
 * Redis (`appendfsync everysec`) do by default: a process crash, SIGKILL included, loses nothing; a
 * power loss or kernel crash loses the last second. Every writer of a shared file queues behind the
 * fsync a commit holds the write lock for, so on a shared file this is what bounds throughput.
 */
export function sqliteSynchronous(durability: Durability): 'FULL' | 'NORMAL' {
  return durability === 'interval' ? 'NORMAL' : 'FULL';
}

/** The flusher `durability` needs for `file`: one for `interval` on a file, none otherwise. */
export function walFlusherFor(file: string, durability: Durability): WalFlusher | undefined {
  return durability === 'interval' && file !== ':memory:' ? startWalFlusher(file) : undefined;
}

/**
 * Flushes `<file>-wal` to disk every `walSyncIntervalMs`, off the event loop. Each flush opens the
 * file afresh: SQLite removes it when its last connection closes and makes a new one later.
 */
export function startWalFlusher(file: string): WalFlusher {
  let running: Promise<void> | undefined;
  const flush = async () => {
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(`${file}-wal`, 'r+');
      await handle.datasync();
    } catch {
      // No WAL (nothing written yet, or removed with the last connection): nothing to flush.
    } finally {
      await handle?.close().catch(() => {});
    }
  };
  const timer = setInterval(() => {
    running ??= flush().finally(() => (running = undefined));
  }, walSyncIntervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await flush();
    },
  };
}

/**
 * A SQLite file as `embedded:` and `sqlite:` URLs name it, `<file>?durability=commit|interval`: the
 * file and the durability, if the URL gives one.
 */
export function fileAndDurability(path: string): { file: string; durability?: Durability } {
  const at = path.indexOf('?');
  if (at < 0) return { file: path };
  const params = new URLSearchParams(path.slice(at + 1));
  const durability = params.get('durability');
  const unknown = [...params.keys()].filter((key) => key !== 'durability');
  if (unknown.length > 0 || (durability !== 'commit' && durability !== 'interval'))
    throw new SwitchyardError(
      'INVALID_ARGUMENT',
      `A SQLite file URL takes only ?durability=commit or ?durability=interval, not ?${path.slice(at + 1)}`,
      { details: { path } },
    );
  return { file: path.slice(0, at), durability };
}
