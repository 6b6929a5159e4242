import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** `switchyard hub` as a child process, the way users run it. */
export interface HubProcess {
  readonly url: string;
  readonly port: number;
  /** `127.0.0.1:<port>` of its DNS server. */
  readonly dns: string;
  /** Everything it printed. */
  readonly output: string[];
  /** SIGTERM, and wait for it to exit. Its SQLite data stays. */
  stop(): Promise<void>;
  /** Runs it again on the same ports and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

export async function startHubProcess(extra: string[] = []): Promise<HubProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-hub-'));
  const output: string[] = [];
  let child: ChildProcess | undefined;
  let port = 0;
  let dnsPort = 0;

  async function launch(): Promise<void> {
    const args = ['--conditions=source', '--import', 'tsx', 'src/cli/main.ts', 'hub'];
    args.push('--port', String(port), '--dns-port', String(dnsPort), '--data-dir', dataDir, ...extra);
    const proc = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      let buffer = '';
      const onData = (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const raw of lines) {
          // eslint-disable-next-line no-control-regex
          const line = raw.replace(/\x1b\[[0-9;]*m/g, '');
          output.push(line);
          const http = /hub registry http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
          if (http) port = Number(http[1]);
          const dns = /udp\+tcp [^\s]+:(\d+)/.exec(line);
          if (dns) dnsPort = Number(dns[1]);
          if (line.includes('Press Ctrl-C')) resolve();
        }
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`hub exited with ${code}:\n${output.join('\n')}`)));
    });
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  }

  await launch();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get dns() {
      return `127.0.0.1:${dnsPort}`;
    },
    output,
    stop,
    start: launch,
    async dispose() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
