import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogSource } from './log-files.js';

export interface FollowOptions {
  /** Read at every poll, so a process that appears later (a restarted system) is followed too. */
  sources(): readonly LogSource[];
  /** Where each file was already read up to (its size when its last lines were printed). */
  readonly from: ReadonlyMap<string, number>;
  onLine(source: LogSource, line: string): void;
  readonly signal: AbortSignal;
  readonly intervalMs?: number;
}

interface Position {
  offset: number;
  inode: number | undefined;
  /** The start of a line whose end has not been written yet. */
  partial: Buffer;
}

/**
 * Follows log files by polling their sizes (fs.watch misses a file that is deleted and recreated on
 * some platforms; a poll every 250 ms costs nothing). A file that shrank or has a new inode was
 * recreated: it is read again from its start. A missing file waits until it appears.
 */
export async function followLogs(options: FollowOptions): Promise<void> {
  const positions = new Map<string, Position>();
  const listed = new Set<string>();
  for (const [file, offset] of options.from)
    positions.set(file, { offset, inode: inodeOf(file), partial: Buffer.alloc(0) });
  while (!options.signal.aborted) {
    for (const source of options.sources()) {
      let size: number;
      let inode: number;
      try {
        ({ size, ino: inode } = statSync(source.file));
      } catch {
        positions.delete(source.file);
        listed.add(source.file);
        continue;
      }
      // A source listed only now (a system started meanwhile) whose file exists holds an earlier
      // run's lines: follow from its end. One that appears later is new: read from its start.
      if (!listed.has(source.file) && !positions.has(source.file))
        positions.set(source.file, { offset: size, inode, partial: Buffer.alloc(0) });
      listed.add(source.file);
      let at = positions.get(source.file);
      if (!at || (at.inode !== undefined && at.inode !== inode) || size < at.offset) {
        at = { offset: 0, inode, partial: Buffer.alloc(0) };
        positions.set(source.file, at);
      }
      at.inode = inode;
      if (size === at.offset) continue;
      const fresh = readRange(source.file, at.offset, size);
      at.offset += fresh.length;
      const text = Buffer.concat([at.partial, fresh]);
      const end = text.lastIndexOf(0x0a);
      at.partial = end === -1 ? text : text.subarray(end + 1);
      if (end !== -1)
        for (const line of text.subarray(0, end).toString('utf8').split('\n')) options.onLine(source, line);
    }
    await sleep(options.intervalMs ?? 250, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

function readRange(file: string, start: number, end: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    const read = readSync(fd, buffer, 0, buffer.length, start);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

function inodeOf(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}
