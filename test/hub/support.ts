import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { InstanceSet } from '../../src/discovery/types.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: any;
}

/** One HTTP request with a JSON body (or none); parses a JSON answer. */
export function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = httpRequest(
      url,
      {
        method,
        headers: { ...(text === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode!, headers: res.headers, body: raw ? JSON.parse(raw) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

export interface SseStream {
  /** Every `instances` event so far. */
  readonly events: InstanceSet[];
  /** Resolves with the first event (already received or future) that satisfies `test`. */
  until(test: (set: InstanceSet) => boolean, timeoutMs?: number): Promise<InstanceSet>;
  close(): void;
}

/** Opens `/events` and collects its events. */
export function openSse(url: string): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const events: InstanceSet[] = [];
    const waiters = new Set<() => void>();
    const req = httpRequest(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE ${url}: ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (/^event: instances$/m.test(block) && data) {
            events.push(JSON.parse(data) as InstanceSet);
            for (const wake of [...waiters]) wake();
          }
        }
      });
      resolve({
        events,
        until(test, timeoutMs = 5000) {
          return new Promise((ok, fail) => {
            const check = () => {
              const found = events.find(test);
              if (!found) return false;
              waiters.delete(check);
              clearTimeout(timer);
              ok(found);
              return true;
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no matching event within ${timeoutMs} ms (${events.length} events)`));
            }, timeoutMs);
            if (!check()) waiters.add(check);
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', (e) => reject(e));
    req.end();
  });
}

export interface HubProcess {
  readonly url: string;
  readonly dnsPort: number;
  readonly child: ChildProcess;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `switchyard hub <args>` as a child process and waits until it prints where it listens. */
export function startHubProcess(args: string[], env: Record<string, string> = {}): Promise<HubProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'src/cli/main.ts', 'hub', ...args],
    { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const http = /registry (http:\/\/\S+)\/v1\/registry/.exec(output);
      const dns = /udp\+tcp \S+:(\d+),/.exec(output);
      if (!http || !dns) return;
      clearTimeout(timer);
      resolve({
        url: http[1]!,
        dnsPort: Number(dns[1]),
        child,
        output: () => output,
        async stop(signal = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code}:\n${output}`));
    });
  });
}

export async function waitFor(
  test: () => Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 50));
  }
}
