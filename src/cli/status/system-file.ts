import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** One process of a running system, as `up` last saw it. */
export interface SystemProcess {
  readonly name: string;
  readonly pid: number | null;
  readonly state: string;
  readonly restarts: number;
  readonly logFile: string;
  /** Where it serves `/metrics` when the hub does not say (processes that are not service instances). */
  readonly metricsUrl?: string;
}

/**
 * What `switchyard up` writes to `.switchyard/<name>/system.json` while a system runs, so that `status`
 * and `logs` (other processes) find its hub, gateway, processes and log files.
 */
export interface SystemFile {
  readonly name: string;
  /** Absolute path of the manifest `up` runs. */
  readonly manifest: string;
  readonly hubUrl: string;
  readonly dnsPort: number;
  readonly gatewayUrl?: string;
  /** The pid of `up`: when it is gone, the file is stale. */
  readonly pid: number;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly logDir: string;
  readonly processes: readonly SystemProcess[];
}

/** Where `up` keeps the state of a system (relative to the working directory, as `up` always did). */
export function stateDirOf(name: string, cwd = process.cwd()): string {
  return resolve(cwd, '.switchyard', name);
}

export const systemFileOf = (stateDir: string): string => join(stateDir, 'system.json');

/** Written whole then renamed, so a reader never sees half a file. */
export function writeSystemFile(file: string, system: SystemFile): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(system, null, 2) + '\n');
  renameSync(temporary, file);
}

export function removeSystemFile(file: string): void {
  rmSync(file, { force: true });
}

/**
 * The system described by `file` when it is running: undefined when the file is missing, unreadable,
 * or stale (its `up` was killed outright and could not remove it).
 */
export function readRunningSystem(
  file: string,
  alive: (pid: number) => boolean = pidAlive,
): SystemFile | undefined {
  let system: SystemFile;
  try {
    system = JSON.parse(readFileSync(file, 'utf8')) as SystemFile;
  } catch {
    return undefined;
  }
  if (typeof system.pid !== 'number' || !Array.isArray(system.processes)) return undefined;
  return alive(system.pid) ? system : undefined;
}

/** Signal 0 checks existence only; EPERM means the pid exists under another user. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
