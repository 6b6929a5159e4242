import { rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hubResolver } from '../../discovery/index.js';
import type { ResilienceConfig } from '../../resilience/index.js';
import { remoteServices, type RemoteProtocol } from '../../rpc/remote-services.js';
import { createHost, type Host } from '../../runtime/index.js';
import { importModule } from '../import-module.js';
import type { Io } from '../io.js';
import { brokerUrlOf, ManifestError, readManifest, registryArgsOf, type Manifest } from '../manifest.js';
import { progress } from '../progress.js';
import { gatewayHubWarning } from '../status/gateway-hub.js';
import { lastLines } from '../status/log-files.js';
import { httpOk, instancePassing } from '../status/probe.js';
import { createMonitor } from '../status/monitor.js';
import { readRunningSystem, stateDirOf, systemFileOf } from '../status/system-file.js';
import { assertTcpPortFree, assertUdpPortFree, freeTcpPort } from '../up/ports.js';
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
 * each other through the hub; then the gateway when the manifest has one. Runs the manifest's sample
 * traffic, shows the status table on a terminal, and on Ctrl-C or SIGTERM stops everything in reverse
 * order. While it runs, `.switchyard/<name>/system.json` tells `status` and `logs` what runs where.
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
  const state = stateDirOf(manifest.name);
  const systemFile = systemFileOf(state);
  const running = readRunningSystem(systemFile);
  if (running) throw new Error(`${manifest.name} is already running (switchyard up, pid ${running.pid})`);
  const gatewayPort = manifest.gateway ? (manifest.gateway.port ?? 8080) : undefined;
  // A port in use fails before anything starts, naming where the manifest sets it.
  const free = async (key: readonly string[], check: () => Promise<void>) =>
    check().catch((error: Error) => {
      throw new ManifestError(`${manifest.at?.(key) ?? manifest.file}: ${key.join('.')}: ${error.message}`);
    });
  await free(['hub', 'port'], () => assertTcpPortFree(hubPort));
  await free(['hub', 'dnsPort'], () => assertTcpPortFree(dnsPort));
  await free(['hub', 'dnsPort'], () => assertUdpPortFree(dnsPort));
  if (gatewayPort !== undefined) await free(['gateway', 'port'], () => assertTcpPortFree(gatewayPort));
  const entries = await checkEntries(manifest);
  const gatewayConfig = manifest.gateway && checkFile(manifest, manifest.gateway.config, 'gateway config');

  // Registrations of a previous run would look like this run's (instance ids are stable): start clean.
  rmSync(join(state, 'hub'), { recursive: true, force: true });
  const hubUrl = `http://127.0.0.1:${hubPort}`;
  const gatewayUrl = gatewayPort === undefined ? undefined : `http://127.0.0.1:${gatewayPort}`;
  const logDir = join(state, 'logs');
  const supervisor = createSupervisor({ logDir, onEvent: (e) => monitor.event(e) });
  const monitor = createMonitor({
    io,
    file: systemFile,
    system: { name: manifest.name, manifest: manifest.file, hubUrl, dnsPort, gatewayUrl, logDir },
    processes: () => supervisor.processes(),
    live: io.tty && !values.once,
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const node = (extra: string[]): Pick<ProcessSpec, 'command' | 'args'> => ({
    command: process.execPath,
    args: [...process.execArgv, ...childV8Flags(), entry, ...extra],
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
        ...registryArgsOf(manifest),
      ]),
      ready: () => httpOk(`${hubUrl}/health`),
    },
  ];
  for (const [name] of entries)
    for (let replica = 1; replica <= (manifest.services[name]?.replicas ?? 1); replica++)
      specs.push({
        name: `${name}-${replica}`,
        ...node(['service', manifest.file, name, '--replica', String(replica), '--hub', hubUrl]),
        ready: () => instancePassing({ hubUrl, id: `${name}-${replica}` }),
      });
  for (const [name, service] of Object.entries(manifest.services)) {
    if (!service.relay) continue;
    const port = await freeTcpPort();
    const url = `http://127.0.0.1:${port}`;
    specs.push({
      name: `${name}-relay`,
      ...node(['relay', manifest.file, name, '--port', `${port}`]),
      ready: () => httpOk(`${url}/healthz`),
      metricsUrl: `${url}/metrics`,
    });
  }
  if (gatewayConfig && gatewayUrl) {
    const warning = gatewayHubWarning(gatewayConfig, hubUrl);
    if (warning) io.err(io.style.yellow(`warning: ${warning}`));
    // Started last (so stopped first): its routes resolve services through the hub. It keeps watching
    // its configuration: editing the file while the system runs reloads it.
    specs.push({
      name: 'gateway',
      ...node(['gateway', '--config', gatewayConfig, '--port', `${gatewayPort}`]),
      env: { SWITCHYARD_HUB_URL: hubUrl, SWITCHYARD_BROKER: brokerUrlOf(manifest) },
      ready: () => httpOk(`${gatewayUrl}/healthz`),
      metricsUrl: `${gatewayUrl}/metrics`,
    });
  }

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
        io.err(lastLines(join(logDir, `${spec.name}.log`), 20).lines.join('\n') || '(no log)');
        exitCode = 1;
        return exitCode;
      }
    }
    monitor.markUp();
    bar.done(`${manifest.name} is up: ${specs.length} processes`);
    io.out(
      `  hub       ${hubUrl}   dns 127.0.0.1:${dnsPort} (dig @127.0.0.1 -p ${dnsPort} <service>.service.${domain} SRV)`,
    );
    if (gatewayUrl) io.out(`  gateway   ${gatewayUrl}`);
    io.out(`  logs      ${logDir}`);
    io.out('Press Ctrl-C to stop.');
    monitor.started();

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
        io: monitor.io,
        signal: stop.signal,
        once: values.once ?? false,
      });
    }
    if (!values.once && !stop.signal.aborted)
      await new Promise((done) => stop.signal.addEventListener('abort', done));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    monitor.stopDrawing();
    io.out('stopping…');
    await host?.close();
    await resolver?.close();
    await supervisor.stop();
    monitor.close();
    io.out('stopped');
  }
  return exitCode;
}

/** Every entry module must exist before anything starts. */
async function checkEntries(manifest: Manifest): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  for (const [name, service] of Object.entries(manifest.services))
    entries.set(name, checkFile(manifest, service.entry, `service ${name}: entry`));
  return entries;
}

/** The absolute path of a file the manifest names (beside it), or a failure naming the manifest. */
function checkFile(manifest: Manifest, path: string, what: string): string {
  const file = resolve(manifest.dir, path);
  if (!statSync(file, { throwIfNoEntry: false })?.isFile())
    throw new Error(`${manifest.file}: ${what} ${path} does not exist`);
  return file;
}

/**
 * V8 flags for the processes `up` starts, each left out when the user sets it:
 * - a young generation of 4 MiB semi-spaces instead of 16: a service's short-lived garbage is small,
 *   so collections stay cheap, and each of a dozen processes keeps about 25 MiB less resident;
 * - an old generation allowed to grow to 1.2x what the last full collection kept, instead of up to 4x
 *   after a burst of allocation: orders and the gateway kept 145–180 MiB after a load run, now about
 *   112 MiB, at the same throughput and latency (docs/shop.md).
 */
export function childV8Flags(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): string[] {
  const given = (flag: string) => nodeOptions.includes(flag) || execArgv.some((arg) => arg.startsWith(flag));
  return [
    ['--max-semi-space-size', '4'],
    ['--heap-growing-percent', '20'],
  ].flatMap(([flag, value]) => (given(flag!) ? [] : [`${flag}=${value}`]));
}
