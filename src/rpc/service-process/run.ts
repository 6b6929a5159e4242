import type { Code, SwitchyardError } from '../../errors/index.js';
import {
  createHost,
  startService,
  type Host,
  type HostOptions,
  type ServiceDefinition,
  type StartedService,
} from '../../runtime/index.js';
import { createHttpServer } from '../http/server.js';
import { createMetrics, type Metrics } from '../../observability/index.js';

const bugs = new Set<Code>(['INTERNAL', 'UNKNOWN', 'DATA_LOSS']);

/** Where a process can be reached, per protocol: `{ http: '127.0.0.1:8080', grpc: '…' }`. */
export interface ProcessEndpoints {
  http?: string;
  [protocol: string]: string | undefined;
}

/** Tells a registry that this process serves (after it listens) and that it stops (before it drains). */
export interface Registrar {
  register(endpoints: ProcessEndpoints): Promise<void>;
  deregister(): Promise<void>;
}

/** A server for another protocol (gRPC, NATS) that a process runs beside HTTP. */
export interface ProcessServer {
  /** The key its address is registered under, e.g. `grpc`. */
  readonly protocol: string;
  /** Starts serving; resolves with the address clients use. */
  listen(): Promise<string>;
  /** Stops taking calls and lets in-flight ones finish within `graceMs`. */
  close(options: { graceMs: number }): Promise<void>;
}

export interface ServiceProcessOptions extends HostOptions {
  services: readonly ServiceDefinition[];
  /** Settings handed to every service's factory. */
  config?: Record<string, string>;
  /** The HTTP server (on by default; loopback and a free port unless told); `false` for none. */
  http?: { port?: number; hostname?: string; bodyLimitBytes?: number } | false;
  /** Servers for other protocols, built from the host once its services are started. */
  servers?: readonly ((host: Host) => ProcessServer)[];
  /** How long in-flight calls may run on after SIGTERM; 10 s by default. */
  gracePeriodMs?: number;
  registrar?: Registrar;
  /** One line per event; stdout by default. */
  log?: (line: string) => void;
  /** Stop gracefully on SIGTERM and SIGINT, then call `exit` (default true). */
  handleSignals?: boolean;
  /** What ends the process after a signal-initiated stop; `process.exit` by default. */
  exit?: (code: number) => void;
  /** Prometheus metrics, served at `/metrics`; a fresh registry by default, `false` for none. */
  metrics?: Metrics | false;
  /** More for the services' factories beside host and config (e.g. `messaging`). */
  env?: Readonly<Record<string, unknown>>;
  /**
   * Work beside the servers that takes no calls but must stop cleanly (message consumers): closed
   * after the servers drained, before the services stop.
   */
  background?: readonly { close(): Promise<void> }[];
}

export interface ServiceProcess {
  readonly host: Host;
  readonly metrics: Metrics | undefined;
  readonly endpoints: ProcessEndpoints;
  /** The graceful stop SIGTERM runs (deregister, drain, stop services, close clients), without exiting. */
  stop(): Promise<void>;
}

/**
 * Runs services as one process: starts them in a host, serves them over HTTP (and any other
 * servers), registers, and on SIGTERM or SIGINT deregisters first (so no new traffic is sent here),
 * then drains in-flight calls within the grace period, stops the services and exits 0. A second
 * signal during the stop exits at once with 1.
 */
export async function runServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const { services, registrar, gracePeriodMs = 10_000 } = options;
  const name = options.name ?? services.map((s) => s.contract.name).join('+');
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  // Bugs only: deadlines and refusals are the caller's to report.
  const logError = (error: SwitchyardError, request: { method: string; path: string }) => {
    if (bugs.has(error.code))
      process.stderr.write(`${name}: ${request.method} ${request.path} failed: ${describe(error)}\n`);
  };
  let running = false;

  const { validate, transports } = options;
  const metrics =
    options.metrics === false ? undefined : (options.metrics ?? createMetrics({ labels: { process: name } }));
  // Metrics outermost on both sides: they see every call as its caller does, retries included.
  const interceptors = [...(metrics ? [metrics.client] : []), ...(options.interceptors ?? [])];
  const serverInterceptors = [...(metrics ? [metrics.server] : []), ...(options.serverInterceptors ?? [])];
  const host = createHost({ name, validate, interceptors, serverInterceptors, transports });
  const started: StartedService[] = [];
  for (const service of services)
    started.push(await startService(host, service, options.config, options.env));

  const servers: ProcessServer[] = [];
  if (options.http !== false) {
    const http = createHttpServer({
      host,
      ...options.http,
      ready: () => running,
      onError: logError,
      ...(metrics ? { metrics: () => metrics.render() } : {}),
    });
    servers.push({
      protocol: 'http',
      listen: async () => (await http.listen()).address,
      close: (o) => http.close(o),
    });
  }
  for (const build of options.servers ?? []) servers.push(build(host));

  const endpoints: ProcessEndpoints = {};
  for (const server of servers) endpoints[server.protocol] = await server.listen();
  await registrar?.register(endpoints);
  running = true;
  log(`${name} listening on ${servers.map((s) => `${s.protocol}://${endpoints[s.protocol]}`).join(', ')}`);

  let stopping: Promise<void> | undefined;
  let unlisten: (() => void) | undefined;
  const stop = () => (stopping ??= shutdown());

  async function shutdown(): Promise<void> {
    running = false;
    try {
      await registrar?.deregister();
    } catch (error) {
      // Draining matters more than a clean registry: the entry's TTL removes it anyway.
      log(`${name}: deregistering failed: ${describe(error)}`);
    }
    log(`${name} draining (grace ${gracePeriodMs} ms)`);
    await Promise.all(servers.map((server) => server.close({ graceMs: gracePeriodMs })));
    for (const work of options.background ?? []) await work.close();
    for (const service of started.reverse()) await service.stop();
    await host.close();
    unlisten?.();
    log(`${name} stopped`);
  }

  if (options.handleSignals !== false) {
    const exit = options.exit ?? ((code: number) => process.exit(code));
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log(`${name}: ${signal} again, exiting now`);
        return exit(1);
      }
      log(`${name}: ${signal}, stopping`);
      stop().then(
        () => exit(0),
        (error: unknown) => {
          log(`${name}: stopping failed: ${describe(error)}`);
          exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    unlisten = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    };
  }

  return { host, metrics, endpoints, stop };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.stack ?? error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
