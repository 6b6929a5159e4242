import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A child process of the chaos test, running one of this folder's modules under tsx. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** The last 4000 characters of its stderr, for failure messages. */
  stderr(): string;
  /** Resolves on its first stdout line satisfying `test` (rejects if it exits first). */
  line(test: (line: string) => boolean): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnChild(
  name: string,
  module: string,
  env: Record<string, string>,
  onLine: (line: string) => void = () => {},
): Child {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL(module, import.meta.url))],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
  const waiters = new Set<(line: string) => boolean>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    onLine(line);
    for (const w of waiters) if (w(line)) waiters.delete(w);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    process: child,
    stderr: () => stderr,
    exited,
    line: (test) =>
      new Promise((resolve, reject) => {
        waiters.add((line) => (test(line) ? (resolve(line), true) : false));
        void exited.then(({ code, signal }) =>
          reject(new Error(`${name} exited (${code ?? signal}) before the line: ${stderr.slice(-1000)}`)),
        );
      }),
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 15_000) {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
