import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { supervisedEnv } from './parent-watch.js';

export interface ProcessSpec {
  /** Unique within the system, e.g. `hub`, `orders-1`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Resolves true once the process serves (polled until `readyTimeoutMs`). */
  ready(): Promise<boolean>;
  readonly readyTimeoutMs?: number;
  /**
   * Where the process serves Prometheus metrics, for the status table. Service instances need none:
   * their address comes from the hub.
   */
  readonly metricsUrl?: string;
}

export type ProcessState = 'starting' | 'ready' | 'restarting' | 'stopping' | 'stopped' | 'failed';

export interface ManagedProcess {
  readonly spec: ProcessSpec;
  readonly state: ProcessState;
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly logFile: string;
}

export interface SupervisorEvent {
  readonly process: string;
  readonly type: 'start' | 'exit' | 'restart' | 'ready';
  readonly detail: string;
}

export interface SupervisorOptions {
  logDir: string;
  /** How long a process may take to stop before SIGKILL. */
  stopGraceMs?: number;
  /** Every change of a process's state or pid (`start` is each launch, with the new pid). */
  onEvent?: (event: SupervisorEvent) => void;
}

/**
 * Runs processes, restarts a crashed one with exponential backoff (1 s doubling to 30 s, reset after a
 * minute of health), and stops them in reverse start order. Output of each goes to its own log file.
 */
export function createSupervisor(options: SupervisorOptions) {
  mkdirSync(options.logDir, { recursive: true });
  const graceMs = options.stopGraceMs ?? 15_000;
  const entries: Entry[] = [];
  let stopping = false;

  interface Entry extends ManagedProcess {
    state: ProcessState;
    pid: number | undefined;
    restarts: number;
    child?: ChildProcess;
    log: WriteStream;
    readySince?: number;
  }

  function launch(entry: Entry) {
    const child = spawn(entry.spec.command, [...entry.spec.args], {
      env: { ...process.env, ...entry.spec.env, [supervisedEnv]: '1' },
      // Own process group: Ctrl-C reaches only the supervisor. The stdin pipe tells the child when we die.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    entry.child = child;
    entry.pid = child.pid;
    options.onEvent?.({ process: entry.spec.name, type: 'start', detail: `pid ${child.pid}` });
    child.stdout!.pipe(entry.log, { end: false });
    child.stderr!.pipe(entry.log, { end: false });
    child.once('exit', (code, signal) => {
      entry.child = undefined;
      entry.pid = undefined;
      options.onEvent?.({ process: entry.spec.name, type: 'exit', detail: signal ?? `code ${code}` });
      if (stopping || entry.state === 'stopping') {
        entry.state = 'stopped';
        return;
      }
      void restart(entry);
    });
  }

  async function restart(entry: Entry) {
    // A process healthy for a minute starts its backoff over.
    if (entry.readySince !== undefined && Date.now() - entry.readySince > 60_000) entry.restarts = 0;
    const delay = Math.min(30_000, 1_000 * 2 ** entry.restarts);
    entry.restarts++;
    entry.state = 'restarting';
    entry.readySince = undefined;
    options.onEvent?.({ process: entry.spec.name, type: 'restart', detail: `in ${delay} ms` });
    await sleep(delay);
    if (stopping) return;
    entry.state = 'starting';
    launch(entry);
    if (await waitReady(entry)) markReady(entry);
  }

  function markReady(entry: Entry) {
    entry.state = 'ready';
    entry.readySince = Date.now();
    options.onEvent?.({ process: entry.spec.name, type: 'ready', detail: `pid ${entry.pid}` });
  }

  async function waitReady(entry: Entry): Promise<boolean> {
    const until = Date.now() + (entry.spec.readyTimeoutMs ?? 30_000);
    while (Date.now() < until) {
      if (!entry.child) return false;
      if (await entry.spec.ready().catch(() => false)) return true;
      await sleep(100);
    }
    return false;
  }

  return {
    processes: (): readonly ManagedProcess[] => entries,

    /** Starts a process and waits until it is ready; false when it exited or never became ready. */
    async start(spec: ProcessSpec): Promise<boolean> {
      const logFile = join(options.logDir, `${spec.name}.log`);
      const entry: Entry = {
        spec,
        state: 'starting',
        pid: undefined,
        restarts: 0,
        logFile,
        log: createWriteStream(logFile, { flags: 'a' }),
      };
      entries.push(entry);
      launch(entry);
      const ready = await waitReady(entry);
      if (ready) markReady(entry);
      else entry.state = 'failed';
      return ready;
    },

    /** Stops everything, last started first: SIGTERM, then SIGKILL after the grace period. */
    async stop(): Promise<void> {
      stopping = true;
      for (const entry of [...entries].reverse()) {
        entry.state = 'stopping';
        const child = entry.child;
        if (child && child.exitCode === null && child.signalCode === null) {
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        entry.state = 'stopped';
        entry.log.end();
      }
    },
  };
}

export type Supervisor = ReturnType<typeof createSupervisor>;
