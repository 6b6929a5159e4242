// Helpers for running `switchyard publish | tail | dlq` as child processes against the real engines.
// Contract modules go under .switchyard/tmp/ (gitignored): a file outside the repository cannot
// resolve `switchyard/contract` by the package's self-reference.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, command, contract, event } from '../../src/contract/index.js';
import { connectBroker } from '../../src/messaging/connect.js';
import type { BrokerAdapter } from '../../src/messaging/index.js';

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface Engine {
  readonly name: string;
  /** The `--broker` and `--prefix` arguments. */
  readonly args: readonly string[];
  connect(): BrokerAdapter;
}

/** A folder of this test file's run under .switchyard/tmp/, removed by `cleanup`. */
export function workspace(label: string): { dir: string; cleanup(): void } {
  mkdirSync(join(root, '.switchyard/tmp'), { recursive: true });
  const dir = mkdtempSync(join(root, `.switchyard/tmp/${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The four engines on loopback, with a prefix (or embedded file) of this run only. */
export function engines(dir: string): Engine[] {
  const prefix = `sy_cli_${randomBytes(4).toString('hex')}`;
  const remote = (name: string, url: string): Engine => ({
    name,
    args: ['--broker', url, '--prefix', prefix],
    connect: () => connectBroker(url, { prefix }),
  });
  const file = join(dir, 'broker.db');
  return [
    { name: 'embedded', args: ['--broker', file], connect: () => connectBroker(file) },
    remote('rabbitmq', 'amqp://guest:guest@127.0.0.1:5672'),
    remote('jetstream', 'nats://127.0.0.1:4222'),
    remote('redis', 'redis://127.0.0.1:6379'),
  ];
}

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Running {
  /** Resolves once `pattern` appeared on stdout or stderr. */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  readonly done: Promise<Run>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts the CLI from source, as `node --conditions=source --import tsx src/cli/main.ts …`. */
export function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(root, 'src/cli/main.ts'), ...args],
    { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const w of watchers) w();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const w of watchers) w();
  });
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void done.then(() => clearTimeout(timer));
  return {
    done,
    kill: (signal = 'SIGINT') => void child.kill(signal),
    waitFor: (pattern, ms = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(stdout) && !pattern.test(stderr)) return;
          watchers.delete(check);
          clearTimeout(timeout);
          resolve();
        };
        const timeout = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`no ${pattern} within ${ms} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
        }, ms);
        watchers.add(check);
        void done.then(() => {
          check();
          if (watchers.has(check)) {
            watchers.delete(check);
            clearTimeout(timeout);
            reject(new Error(`exited without ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`));
          }
        });
        check();
      }),
  };
}

/** Runs the CLI to its end. */
export const cli = (args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Run> => start(args, env).done;

function kitchen(name: string) {
  const Ticket = Type.Object({ orderId: Type.String(), seq: Type.Integer({ minimum: 0 }) });
  return contract({
    name,
    version: '1.0.0',
    commands: { createTicket: command({ payload: Ticket, partitionKey: 'orderId' }) },
    events: { ticketCreated: event({ payload: Ticket, partitionKey: 'orderId' }) },
  });
}

/**
 * A contract with a unique name (so its channels belong to this run), and a module the CLI loads
 * that exports the same contract.
 */
export function kitchenContract(dir: string): { file: string; Kitchen: ReturnType<typeof kitchen> } {
  const name = `kitchen-${randomBytes(4).toString('hex')}`;
  const file = join(dir, `${name}.contract.ts`);
  writeFileSync(
    file,
    `import { Type, command, contract, event } from 'switchyard/contract';

const Ticket = Type.Object({ orderId: Type.String(), seq: Type.Integer({ minimum: 0 }) });

export const Kitchen = contract({
  name: '${name}',
  version: '1.0.0',
  commands: { createTicket: command({ payload: Ticket, partitionKey: 'orderId' }) },
  events: { ticketCreated: event({ payload: Ticket, partitionKey: 'orderId' }) },
});
`,
  );
  return { file, Kitchen: kitchen(name) };
}

/** Polls until `condition` holds; fails with `what` after `ms`. */
export async function eventually(condition: () => boolean, what: () => string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
