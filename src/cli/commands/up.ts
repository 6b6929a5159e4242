import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hubResolver, registryPaths, type InstancesResponse } from '../../discovery/index.js';
import type { ResilienceConfig } from '../../resilience/index.js';
import { remoteServices, type RemoteProtocol } from '../../rpc/remote-services.js';
import { createHost, type Host } from '../../runtime/index.js';
import { importModule } from '../import-module.js';
import type { Io } from '../io.js';
import { readManifest, type Manifest } from '../manifest.js';
import { progress } from '../progress.js';
import { assertTcpPortFree, assertUdpPortFree } from '../up/ports.js';
import { createSupervisor, type ProcessSpec } from '../up/supervisor.js';

export interface TrafficEnv {
  host: Host;
  io: Io;
  signal: AbortSignal;
  /** Run one round and return, rather than until the signal aborts. */
  once: boolean;
}

/** The script this CLI runs from (bin/switchyard.js, or src/cli/main.ts under tsx), for child processes. */
const entry = process.argv[1] ?? fileURLToPath(new URL('../../../bin/switchyard.js', import.meta.url));

/**
 * `switchyard up [manifest]`: starts the hub, then every service replica as its own process; they find
 * each other through the hub. Runs the manifest's sample traffic, and on Ctrl-C or SIGTERM stops
 * everything in reverse order.
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { once: { type: 'boolean', default: false } },
  });
  const manifest = readManifest(positionals[0] ?? 'switchyard.yaml');
  const hubPort = manifest.hub?.port ?? 7070;
  const dnsPort = manifest.hub?.dnsPort ?? 8600;
  const domain = manifest.hub?.domain ?? 'switchyard';
  await assertTcpPortFree(hubPort);
  await assertTcpPortFree(dnsPort);
  await assertUdpPortFree(dnsPort);
  const entries = await checkEntries(manifest);

  const state = resolve('.switchyard', manifest.name);
  // Registrations of a previous run would look like this run's (instance ids are stable): start clean.
  rmSync(join(state, 'hub'), { recursive: true, force: true });
  const hubUrl = `http://127.0.0.1:${hubPort}`;
  const supervisor = createSupervisor({
    logDir: join(state, 'logs'),
    onEvent: (e) => e.type !== 'ready' && io.out(io.style.dim(`${e.process}: ${e.type} ${e.detail}`)),
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const node = (extra: string[]): Pick<ProcessSpec, 'command' | 'args'> => ({
    command: process.execPath,
    args: [...process.execArgv, entry, ...extra],
  });
  const specs: ProcessSpec[] = [
    {
      name: 'hub',
      ...node([
        'hub',
        '--port',
        `${hubPort}`,
        '--dns-port',
        `${dnsPort}`,
        '--domain',
        domain,
        '--data-dir',
        join(state, 'hub'),
      ]),
      ready: () => httpOk(`${hubUrl}/health`),
    },
  ];
  for (const [name] of entries)
    for (let replica = 1; replica <= (manifest.services[name]?.replicas ?? 1); replica++)
      specs.push({
        name: `${name}-${replica}`,
        ...node(['service', manifest.file, name, '--replica', String(replica), '--hub', hubUrl]),
        ready: () => registered(hubUrl, name, `${name}-${replica}`),
      });

  let exitCode = 0;
  let host: Host | undefined;
  let resolver: ReturnType<typeof hubResolver> | undefined;
  try {
    const bar = progress(io, `starting ${manifest.name}`);
    for (const [i, spec] of specs.entries()) {
      bar.update(`starting ${spec.name} (${i + 1}/${specs.length})`);
      if (stop.signal.aborted || !(await supervisor.start(spec))) {
        if (stop.signal.aborted) break;
        bar.fail(`${spec.name} did not become healthy; last lines of its log:`);
        io.err(tail(join(state, 'logs', `${spec.name}.log`)));
        exitCode = 1;
        return exitCode;
      }
    }
    bar.done(`${manifest.name} is up: ${specs.length} processes`);
    io.out(
      `  hub       ${hubUrl}   dns 127.0.0.1:${dnsPort} (dig @127.0.0.1 -p ${dnsPort} <service>.service.${domain} SRV)`,
    );
    io.out(`  logs      ${join(state, 'logs')}`);
    io.out('Press Ctrl-C to stop.');

    resolver = hubResolver({ url: hubUrl });
    const protocol: Record<string, RemoteProtocol> = {};
    for (const [name, spec] of Object.entries(manifest.services)) protocol[name] = spec.protocol ?? 'http';
    const remote = remoteServices({
      resolver,
      protocol,
      ...(manifest.resilience ? { resilience: manifest.resilience as ResilienceConfig } : {}),
    });
    host = createHost({
      name: `${manifest.name}-up`,
      transports: remote.transports,
      interceptors: remote.interceptors,
    });
    if (manifest.traffic) {
      const traffic = (await importModule(resolve(manifest.dir, manifest.traffic))).default;
      if (typeof traffic !== 'function')
        throw new Error(`${manifest.traffic}: the default export must be a function`);
      await (traffic as (env: TrafficEnv) => Promise<void>)({
        host,
        io,
        signal: stop.signal,
        once: values.once ?? false,
      });
    }
    if (!values.once && !stop.signal.aborted)
      await new Promise((done) => stop.signal.addEventListener('abort', done));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    io.out('stopping…');
    await host?.close();
    await resolver?.close();
    await supervisor.stop();
    io.out('stopped');
  }
  return exitCode;
}

/** Every entry module must exist before anything starts. */
async function checkEntries(manifest: Manifest): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  for (const [name, service] of Object.entries(manifest.services)) {
    const path = resolve(manifest.dir, service.entry);
    try {
      readFileSync(path);
    } catch {
      throw new Error(`${manifest.file}: service ${name}: entry ${service.entry} does not exist`);
    }
    entries.set(name, path);
  }
  return entries;
}

async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  await response.body?.cancel();
  return response.ok;
}

/** Ready when the hub serves the instance as passing. */
async function registered(hubUrl: string, service: string, id: string): Promise<boolean> {
  const response = await fetch(`${hubUrl}${registryPaths.instances}?service=${encodeURIComponent(service)}`, {
    signal: AbortSignal.timeout(1_000),
  });
  if (!response.ok) return false;
  const { instances } = (await response.json()) as InstancesResponse;
  return instances.some((i) => i.id === id && i.health === 'passing');
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
