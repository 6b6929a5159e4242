import type { Io } from '../io.js';
import type { ManagedProcess, SupervisorEvent } from '../up/supervisor.js';
import { createCollector } from './collect.js';
import { liveTable, type LiveTable } from './live.js';
import { removeSystemFile, writeSystemFile, type SystemFile, type SystemProcess } from './system-file.js';
import { renderTable } from './table.js';

export interface MonitorOptions {
  readonly io: Io;
  /** Where the system file goes (`systemFileOf(state dir)`). */
  readonly file: string;
  /** The system file but for what the monitor fills in: processes (read at every write), pid, start. */
  readonly system: Omit<SystemFile, 'processes' | 'pid' | 'startedAt'>;
  processes(): readonly ManagedProcess[];
  /** Redraw the status table below the output (on a terminal, not with `--once`). */
  readonly live: boolean;
}

/**
 * What `up` shows and leaves behind while a system runs: the system file (written once everything is
 * up and again at every process event), the process event lines, and on a terminal the live table.
 */
export function createMonitor(options: MonitorOptions) {
  const { io } = options;
  let running = false;
  let table: LiveTable | undefined;
  const described = { ...options.system, pid: process.pid, startedAt: new Date().toISOString() };

  const snapshot = (): SystemProcess[] =>
    options.processes().map((p) => ({
      name: p.spec.name,
      pid: p.pid ?? null,
      state: p.state,
      restarts: p.restarts,
      logFile: p.logFile,
      ...(p.spec.metricsUrl ? { metricsUrl: p.spec.metricsUrl } : {}),
    }));
  const save = () => {
    if (running) writeSystemFile(options.file, { ...described, processes: snapshot() });
  };

  return {
    /** Print through this once the system is up: lines then scroll above the live table. */
    get io(): Io {
      return table?.io ?? io;
    },

    /**
     * Everything is up: write the system file. Called before `up` says so, so that whoever reads that
     * line (a test, a script) finds the file.
     */
    markUp(): void {
      running = true;
      save();
    },

    /** After `markUp`, once the URLs are printed: starts the live table. */
    started(): void {
      if (!options.live) return;
      const collector = createCollector({ hubUrl: options.system.hubUrl, processes: snapshot });
      table = liveTable({
        io,
        lines: async () => {
          const rows = await collector.rows();
          const time = io.style.dim(new Date().toLocaleTimeString());
          return [`${io.style.bold(options.system.name)} ${time}`, ...renderTable(rows, io.style)];
        },
      });
    },

    event(event: SupervisorEvent): void {
      save();
      // Only what went wrong is news: starts and readiness show in the table and the system file.
      if (event.type === 'exit' || event.type === 'restart')
        this.io.out(io.style.dim(`${event.process}: ${event.type} ${event.detail}`));
    },

    /** Before stopping the processes: the table goes, so that stop lines print cleanly. */
    stopDrawing(): void {
      table?.stop();
      table = undefined;
    },

    /** After the processes stopped: nothing runs any more. */
    close(): void {
      this.stopDrawing();
      running = false;
      removeSystemFile(options.file);
    },
  };
}

export type Monitor = ReturnType<typeof createMonitor>;
