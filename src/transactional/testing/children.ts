import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A test child process speaking JSON lines on stdout (see relay-process.ts, consumer-process.ts). */
export interface Child {
  readonly process: ChildProcess;
  readonly lines: Record<string, unknown>[];
  stderr: string;
  /** Resolves with the first line (already printed or still to come) that `match` accepts. */
  waitFor(match: (line: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export function spawnChild(script: string, env: Record<string, string>): Child {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL(script, import.meta.url))],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  const listeners = new Set<(line: Record<string, unknown>) => void>();
  const state: Child = {
    process: child,
    lines: [],
    stderr: '',
    waitFor(match, ms = 30_000) {
      const found = state.lines.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          child.off('exit', exited);
          reject(new Error(`child ${script} printed no matching line in ${ms} ms; stderr: ${state.stderr}`));
        }, ms);
        const exited = () => {
          clearTimeout(timer);
          listeners.delete(listener);
          reject(
            new Error(`child ${script} exited before printing a matching line; stderr: ${state.stderr}`),
          );
        };
        const listener = (line: Record<string, unknown>) => {
          if (!match(line)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          child.off('exit', exited);
          resolve(line);
        };
        listeners.add(listener);
        child.once('exit', exited);
      });
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  child.stderr!.on(
    'data',
    (chunk: Buffer) => void (state.stderr = (state.stderr + chunk.toString()).slice(-4000)),
  );
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    state.lines.push(line);
    for (const listener of [...listeners]) listener(line);
  });
  return state;
}
