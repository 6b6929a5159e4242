/**
 * Benchmark servers run in their own processes (bench/support/server.ts), so the process that
 * measures is only the client. One child per server; each reports its address over IPC once it
 * serves, and stops when told to (or when this process goes away).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ServerKind, ServerOptions } from './server.js';

export interface ServerChild {
  readonly kind: ServerKind;
  /** `host:port` for HTTP and gRPC, the hub's URL, or the subject or namespace it serves. */
  readonly address: string;
  stop(): Promise<void>;
}

const entry = fileURLToPath(new URL('./server.ts', import.meta.url));
const startTimeoutMs = 30_000;
const stopTimeoutMs = 15_000;

export async function startServer(kind: ServerKind, options: ServerOptions = {}): Promise<ServerChild> {
  const child = fork(entry, [kind, JSON.stringify(options)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  try {
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${kind} server: not ready within 30 s`)),
        startTimeoutMs,
      );
      child.once('message', (message: { ready?: string }) => {
        clearTimeout(timer);
        if (typeof message.ready === 'string') resolve(message.ready);
        else reject(new Error(`${kind} server: unexpected message ${JSON.stringify(message)}`));
      });
      void exited.then(([code]) => {
        clearTimeout(timer);
        reject(new Error(`${kind} server exited with ${String(code)} before it was ready`));
      });
    });
    return { kind, address, stop: () => stop(child, exited) };
  } catch (error) {
    await stop(child, exited);
    throw error;
  }
}

async function stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
  await exited;
  clearTimeout(timer);
}

/** Starts the servers together, runs `fn` with them and stops them all, whatever happens. */
export async function withServers<T>(
  specs: ReadonlyArray<readonly [ServerKind, ServerOptions?]>,
  fn: (servers: ServerChild[]) => Promise<T>,
): Promise<T> {
  const started = await Promise.allSettled(specs.map(([kind, options]) => startServer(kind, options)));
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return await fn(servers);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
