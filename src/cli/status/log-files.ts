import { closeSync, existsSync, fstatSync, openSync, readSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Manifest } from '../manifest.js';
import type { SystemFile } from './system-file.js';

/** The log file of one process. */
export interface LogSource {
  readonly name: string;
  readonly file: string;
}

/**
 * The log files of a system, in start order: from the system file while it runs; afterwards from the
 * log directory (logs outlive a run), ordered as `up` would start the processes, with any other log
 * found there (a replica or service since removed from the manifest) after them.
 */
export function logSources(options: {
  manifest: Manifest;
  logDir: string;
  system?: SystemFile | undefined;
}): LogSource[] {
  if (options.system) return options.system.processes.map((p) => ({ name: p.name, file: p.logFile }));
  const { manifest, logDir } = options;
  let found: string[];
  try {
    found = readdirSync(logDir).filter((f) => f.endsWith('.log'));
  } catch {
    return [];
  }
  const expected = ['hub'];
  for (const [name, service] of Object.entries(manifest.services))
    for (let replica = 1; replica <= (service.replicas ?? 1); replica++) expected.push(`${name}-${replica}`);
  if (manifest.gateway) expected.push('gateway');
  const names = found.map((f) => basename(f, '.log'));
  const ordered = [
    ...expected.filter((n) => names.includes(n)),
    ...names.filter((n) => !expected.includes(n)).sort(),
  ];
  return ordered.map((name) => ({ name, file: join(logDir, `${name}.log`) }));
}

/**
 * The sources a name selects: an exact process (`orders-2`, `hub`, `gateway`) or every replica of a
 * service (`orders` → `orders-1`, `orders-2`, …); no name selects all.
 */
export function selectSources(
  sources: readonly LogSource[],
  name: string | undefined,
): { sources: LogSource[] } | { unknown: string; known: string[] } {
  if (name === undefined) return { sources: [...sources] };
  const exact = sources.filter((s) => s.name === name);
  if (exact.length > 0) return { sources: exact };
  const replicas = sources.filter((s) => serviceOf(s.name) === name);
  if (replicas.length > 0) return { sources: replicas };
  const services = sources.map((s) => serviceOf(s.name)).filter((s): s is string => s !== undefined);
  const known = [...new Set([...services, ...sources.map((s) => s.name)])];
  return { unknown: name, known };
}

function serviceOf(process: string): string | undefined {
  return /^(.+)-\d+$/.exec(process)?.[1];
}

/**
 * The last `count` lines of a file, read backwards from its end (a log may be large), and the size
 * they end at: where following the file continues.
 */
export function lastLines(file: string, count: number): { lines: string[]; end: number } {
  if (!existsSync(file)) return { lines: [], end: 0 };
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    let start = size;
    let newlines = 0;
    const chunks: Buffer[] = [];
    // One more newline than lines wanted: the file's final newline ends the last line. Bytes are
    // decoded once at the end, so a character split across two chunks stays whole.
    while (count > 0 && start > 0 && newlines <= count) {
      const length = Math.min(64 * 1024, start);
      start -= length;
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, start);
      chunks.unshift(buffer);
      for (const byte of buffer) if (byte === 0x0a) newlines++;
    }
    const lines = Buffer.concat(chunks).toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return { lines: count > 0 ? lines.slice(-count) : [], end: size };
  } finally {
    closeSync(fd);
  }
}
