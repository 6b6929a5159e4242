// Helpers for running `switchyard up` as a child process on a small manifest. The manifest and its
// state live under the repository's .switchyard/ (gitignored): service modules resolve `switchyard/*`
// through the package's self-reference only from inside the repository.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StatusRow } from '../../src/cli/status/collect.js';
import { freeTcpPort } from '../../src/internal/ports.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const shop = join(root, 'examples', 'shop');

export interface Running {
  readonly output: () => string;
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** The CLI from source, as the other CLI tests run it (bin/switchyard.js would need a build). */
export function start(args: readonly string[]): Running {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(root, 'src/cli/main.ts'), ...args],
    { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const append = (chunk: Buffer) => void (output += chunk.toString());
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  void exited.then(() => clearTimeout(killer));
  return {
    output: () => output,
    exited,
    kill: (signal) => void child.kill(signal),
    async waitFor(pattern, ms = 60_000) {
      const deadline = Date.now() + ms;
      let done = false;
      void exited.then(() => (done = true));
      while (!pattern.test(output)) {
        if (done || Date.now() > deadline) throw new Error(`no ${pattern} in:\n${output}`);
        await new Promise((next) => setTimeout(next, 50));
      }
    },
  };
}

export async function cli(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const run = start(args);
  const code = await run.exited;
  return { code, output: run.output() };
}

export const freePort = freeTcpPort;

/** A manifest of the shop's consumers service (no broker needed) on free ports, and its clean-up. */
export async function system(options: { replicas: number; gateway?: boolean }) {
  const [hubPort, dnsPort, gatewayPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const name = `status-test-${process.pid}-${hubPort}`;
  const dir = join(root, '.switchyard', 'tmp', name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'switchyard.yaml');
  const lines = [
    `name: ${name}`,
    'services:',
    `  consumers: { entry: ${join(shop, 'services/consumers/service.ts')}, replicas: ${options.replicas} }`,
    `hub: { port: ${hubPort}, dnsPort: ${dnsPort} }`,
  ];
  if (options.gateway) {
    lines.push(`gateway: { config: gateway.yaml, port: ${gatewayPort} }`);
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        'contracts:',
        `  - module: ${join(shop, 'contracts/consumers.ts')}`,
        'discovery:',
        `  hub: http://127.0.0.1:${hubPort}`,
      ].join('\n'),
    );
  }
  writeFileSync(file, lines.join('\n') + '\n');
  const state = join(root, '.switchyard', name);
  return {
    name,
    file,
    state,
    hubUrl: `http://127.0.0.1:${hubPort}`,
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    },
  };
}

export async function statusRows(file: string): Promise<StatusRow[]> {
  const { code, output } = await cli(['status', file, '--json']);
  assert.equal(code, 0, output);
  return JSON.parse(output) as StatusRow[];
}
