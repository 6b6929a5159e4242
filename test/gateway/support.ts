import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { request } from 'undici';
import { stringify } from 'yaml';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway/index.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A process the tests started: its stdout lines, and a way to wait for one. */
export interface Proc {
  readonly child: ChildProcess;
  /** The `host:port` of its first `listening on http://…` line, when it printed one. */
  readonly address: string;
  readonly lines: string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

const running = new Set<Proc>();

/** Runs a TypeScript file (a fixture, or the CLI) with the test's loader and waits for `ready`. */
export async function spawnProcess(
  args: string[],
  options: { env?: Record<string, string>; ready?: RegExp; cwd?: string } = {},
): Promise<Proc> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const exited = once(child, 'exit');
  const onLine = (line: string) => {
    lines.push(line);
    for (const w of waiters)
      if (w.pattern.test(line)) {
        waiters.delete(w);
        w.resolve(line);
      }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const waitFor = (pattern: RegExp, timeoutMs = 20_000) => {
    const seen = lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${lines.join('\n')}`));
      }, timeoutMs);
      const waiter = { pattern, resolve: (line: string) => (clearTimeout(timer), resolve(line)) };
      waiters.add(waiter);
      void exited.then(() => {
        if (!waiters.delete(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`exited before printing ${pattern}:\n${lines.join('\n')}`));
      });
    });
  };
  const ready = options.ready ?? /listening on http:\/\/([^\s,]+)/;
  const proc: Proc = {
    child,
    address: '',
    lines,
    waitFor,
    async stop() {
      running.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  running.add(proc);
  try {
    const line = await waitFor(ready);
    const address = /listening on http:\/\/([^\s,()]+)/.exec(line)?.[1] ?? '';
    return Object.assign(proc, { address });
  } catch (error) {
    await proc.stop();
    throw error;
  }
}

/** Starts `test/gateway/fixtures/<name>.ts`. */
export function spawnFixture(name: string, env: Record<string, string> = {}): Promise<Proc> {
  return spawnProcess([join(fixtures, `${name}.ts`)], { env });
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** A folder of its own for one test's configuration files, removed by `dispose`. */
export async function workspace(): Promise<{
  dir: string;
  write(name: string, content: unknown): Promise<string>;
  dispose(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-gateway-'));
  return {
    dir,
    async write(name, content) {
      const path = join(dir, name);
      await writeFile(path, typeof content === 'string' ? content : stringify(content));
      return path;
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A gateway in this process on a free port, reading a YAML file written from `config`. */
export async function startGateway(
  config: Record<string, unknown>,
  options: Partial<GatewayOptions> = {},
): Promise<{ gateway: Gateway; url: string; file: string; lines: string[]; close(): Promise<void> }> {
  const space = await workspace();
  const file = await space.write('gateway.yaml', config);
  const lines: string[] = [];
  const gateway = await createGateway({
    file,
    port: 0,
    accessLog: false,
    defaultMetrics: false,
    log: (line) => lines.push(line),
    ...options,
  });
  const { url } = await gateway.listen();
  return {
    gateway,
    url,
    file,
    lines,
    async close() {
      await gateway.close({ graceMs: 1000 });
      await space.dispose();
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

/** One request through undici; the body is read whole. */
export async function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const headers = {
    ...(body !== undefined && typeof options.body !== 'string' ? { 'content-type': 'application/json' } : {}),
    ...options.headers,
  };
  const response = await request(url, { method: (options.method ?? 'GET') as 'GET', headers, body });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text, json: () => JSON.parse(text) };
}

/** Asserts a problem+json answer of this status and code, and returns the problem. */
export function assertProblem(answer: Answer, status: number, code: string): any {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.headers['content-type'], 'application/problem+json', answer.text);
  const problem = answer.json();
  assert.equal(problem.code, code, answer.text);
  assert.equal(problem.status, status);
  return problem;
}

/** Calls that reached the backend for this operation (`call gw-orders@1.createOrder …` lines). */
export function callsTo(proc: Proc, operation: string): string[] {
  return proc.lines.filter((line) => line.startsWith(`call ${operation} `));
}

/** The fixture contracts module, serving only the versions named (`gw-orders@1`, `gw-profiles`). */
export function fixtureContracts(only: string[], protocol?: 'http' | 'grpc'): Record<string, unknown> {
  return { module: join(fixtures, 'contracts.ts'), only, ...(protocol ? { protocol } : {}) };
}

export interface Fronted {
  readonly url: string;
  readonly backend: Proc;
  readonly gateway: Gateway;
}

/**
 * A suite's gateway in front of one backend process (test/gateway/fixtures/backend.ts with `env`):
 * both start before the suite's tests and stop after them. `config` gets the backend's address.
 */
export function gatewayInFront(options: {
  env: Record<string, string>;
  config: (backend: string) => Record<string, unknown> | Promise<Record<string, unknown>>;
}): Fronted {
  let backend: Proc | undefined;
  let started: Awaited<ReturnType<typeof startGateway>> | undefined;
  before(async () => {
    backend = await spawnFixture('backend', options.env);
    started = await startGateway(await options.config(backend.address));
  });
  after(async () => {
    await started?.close();
    await stopAll();
  });
  return {
    get url() {
      return started!.url;
    },
    get backend() {
      return backend!;
    },
    get gateway() {
      return started!.gateway;
    },
  };
}
