import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A fixture service running as its own process. */
export interface ServiceChild {
  readonly child: ChildProcess;
  /** `127.0.0.1:port`, from the process's "listening on http://…" line. */
  readonly address: string;
  readonly port: number;
  /** Every stdout line so far. */
  readonly lines: readonly string[];
  /** The first line (past or future) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code and signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const listening = /listening on http:\/\/([^\s,]+:(\d+))/;
const running = new Set<ChildProcess>();

/** Starts `test/rpc/fixtures/<name>.ts` and resolves once it listens. */
export async function spawnService(name: string, env: Record<string, string> = {}): Promise<ServiceChild> {
  const file = fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(child);
  const exited = once(child, 'exit').then(([code, signal]) => {
    running.delete(child);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const waiter of waiters)
      if (waiter.pattern.test(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
  });
  const waitFor = (pattern: RegExp, timeoutMs = 15_000) => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const waiter = { pattern, resolve: (line: string) => (clearTimeout(timer), resolve(line)) };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(`${name}: no line matching ${pattern} within ${timeoutMs} ms; got:\n${lines.join('\n')}`),
        );
      }, timeoutMs);
      waiters.add(waiter);
      void exited.then(() => {
        if (!waiters.delete(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`${name} exited before printing ${pattern}; got:\n${lines.join('\n')}`));
      });
    });
  };
  const match = listening.exec(await waitFor(listening))!;
  return { child, address: match[1]!, port: Number(match[2]), lines, waitFor, exited };
}

/** Kills every fixture process still running (for `after` hooks). */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      return exited;
    }),
  );
}
