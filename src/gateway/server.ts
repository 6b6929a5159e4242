import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { isIPv6, Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { DestinationStream } from 'pino';
import { SwitchyardError } from '../errors/index.js';
import { loadGatewayConfig, type LoadedConfig } from './config/read.js';
import { watchFile } from './config/watch.js';
import { answerClientError, writeRawProblem } from './edge/client-errors.js';
import { createGatewayMetrics, type GatewayMetrics } from './edge/metrics.js';
import { Engines } from './engines.js';
import { buildGeneration, type Generation } from './generation.js';
import { writeJson, writeProblem } from './http/respond.js';
import { serveRequest } from './pipeline.js';
import { serveUpgrade } from './upgrade.js';
import type { GatewayConfig, ModuleImporter } from './types.js';

export interface GatewayOptions {
  /** A YAML or TypeScript/JavaScript configuration file, watched and reloaded when it changes… */
  file?: string;
  /** …or the configuration itself (relative paths resolve from `dir`). */
  config?: GatewayConfig;
  dir?: string;
  /** Default: the configuration's `listen.port`, else 8080; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Reload when the file changes (default true with a file). */
  watch?: boolean;
  importModule?: ModuleImporter;
  /** Operational lines (listening, reloads, errors); stdout by default. */
  log?: (line: string) => void;
  /** Where access log lines go, over the configuration's say; `false` for none. */
  accessLog?: DestinationStream | string | number | false;
  /** Process metrics (CPU, memory, event loop) beside the gateway's (default true). */
  defaultMetrics?: boolean;
}

export interface Gateway {
  listen(): Promise<{ port: number; address: string; url: string }>;
  /** Reads the configuration again; a broken one is reported and the running one kept. */
  reload(): Promise<{ ok: true; generation: number } | { ok: false; error: Error }>;
  /** Graceful stop: refuse new requests, let those in flight finish within `graceMs` (10 s by default). */
  close(options?: { graceMs?: number }): Promise<void>;
  /** Increments with every configuration applied. */
  readonly generation: number;
  readonly inFlight: number;
  readonly metrics: GatewayMetrics;
  readonly routes: readonly { id: string; template: string; methods: readonly string[] | undefined }[];
}

/**
 * The API gateway: one HTTP server whose routes come from the configuration (contracts' HTTP mappings
 * under `/v<major>`, plus configured routes), rebuilt on reload without touching connections. Fails
 * at once on a configuration it cannot use.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const metrics = createGatewayMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const engines = new Engines();
  const load = () =>
    loadGatewayConfig({
      ...(options.file === undefined ? {} : { file: options.file }),
      ...(options.config === undefined ? {} : { config: options.config }),
      ...(options.dir === undefined ? {} : { dir: options.dir }),
      ...(options.importModule === undefined ? {} : { importModule: options.importModule }),
    });
  let serial = 0;
  const build = (config: LoadedConfig) =>
    buildGeneration({
      id: ++serial,
      config,
      engines,
      metrics,
      ...(options.accessLog === undefined ? {} : { accessLog: options.accessLog }),
    });
  let current = await build(await load());
  const retiring = new Set<Generation>();
  const first = current.config.data;
  const headerBytes = first.limits?.headerBytes ?? 16 * 1024;
  const hooks = {
    metrics,
    onError: (error: SwitchyardError, request: { method: string; path: string }) => {
      if (error.code === 'INTERNAL' || error.code === 'UNKNOWN')
        log(`gateway: ${request.method} ${request.path} failed: ${describe(error)}`);
    },
  };
  let draining = false;

  const server: Server = createServer(
    { maxHeaderSize: headerBytes, connectionsCheckingInterval: 500 },
    (req, res) => {
      if (!first.admin && isAdminPath(req.url) && answerAdmin(req, res)) return;
      if (draining) {
        writeProblem(
          res,
          new SwitchyardError('UNAVAILABLE', 'The gateway is shutting down', { details: { notSent: true } }),
          {
            instance: req.url ?? '/',
            extra: [],
            close: true,
          },
        );
        return;
      }
      void serveRequest(current, hooks, req, res);
    },
  );
  applyTimeouts(server, current);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (draining)
      return void writeRawProblem(socket, new SwitchyardError('UNAVAILABLE', 'The gateway is shutting down'));
    if (String(req.headers.upgrade).toLowerCase() === 'websocket')
      return void serveUpgrade(current, hooks, req, socket, head);
    // Another protocol (h2c): the client may be answered in HTTP/1.1 as if it had not asked.
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)
      return void writeRawProblem(
        socket,
        new SwitchyardError('INVALID_ARGUMENT', `Cannot upgrade to ${String(req.headers.upgrade)}`),
      );
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.once('finish', () => socket.end());
    void serveRequest(current, hooks, req, res);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const status = answerClientError(error, socket, headerBytes);
    if (status > 0) metrics.request('unmatched', '-', status, 0);
  });
  const admin = first.admin ? createServer((req, res) => answerAdmin(req, res) || notFound(res)) : undefined;

  function answerAdmin(req: IncomingMessage, res: ServerResponse): boolean {
    const path = req.url?.split('?', 1)[0];
    if (path === '/healthz') writeJson(res, 200, { status: 'ok' }, []);
    else if (path === '/readyz')
      writeJson(
        res,
        draining ? 503 : 200,
        { status: draining ? 'draining' : 'ready', generation: current.id },
        [],
      );
    else if (path === '/metrics')
      metrics.base.render().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    else return false;
    return true;
  }

  let reloading: Promise<unknown> = Promise.resolve();
  async function reload(): Promise<{ ok: true; generation: number } | { ok: false; error: Error }> {
    const run = reloading.then(async () => {
      try {
        const next = await build(await load());
        const previous = current;
        current = next;
        applyTimeouts(server, next);
        retiring.add(previous);
        void previous.retire().finally(() => retiring.delete(previous));
        metrics.reload('ok');
        log(`gateway: configuration reloaded (generation ${next.id}, ${next.routes.length} routes)`);
        return { ok: true as const, generation: next.id };
      } catch (thrown) {
        const error = thrown instanceof Error ? thrown : new Error(String(thrown));
        metrics.reload('failed');
        log(`gateway: configuration not reloaded, generation ${current.id} keeps serving: ${error.message}`);
        return { ok: false as const, error };
      }
    });
    reloading = run;
    return run;
  }

  const stopWatching =
    options.file !== undefined && (options.watch ?? true)
      ? watchFile(current.config.file, () => void reload())
      : undefined;

  let closing: Promise<void> | undefined;
  async function drain(graceMs: number): Promise<void> {
    draining = true;
    stopWatching?.();
    await reloading;
    const closed = new Promise<void>((done) => NetServer.prototype.close.call(server, () => done()));
    const deadline = Date.now() + graceMs;
    while (inFlight() > 0 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 20));
    server.close();
    server.closeAllConnections();
    await closed;
    if (admin?.listening) await new Promise((done) => admin.close(done));
    for (const generation of [current, ...retiring]) await generation.retire();
  }

  const inFlight = () => current.inFlight + [...retiring].reduce((n, g) => n + g.inFlight, 0);

  return {
    get generation() {
      return current.id;
    },
    get inFlight() {
      return inFlight();
    },
    get routes() {
      return current.routes.map((r) => ({
        id: r.id,
        template: r.template,
        methods: r.methods && [...r.methods],
      }));
    },
    metrics,
    reload,
    async listen() {
      const host = options.host ?? first.listen?.host ?? '127.0.0.1';
      const port = options.port ?? first.listen?.port ?? 8080;
      await listenOn(server, port, host);
      if (admin) await listenOn(admin, first.admin!.port, first.admin!.host ?? host);
      const bound = server.address();
      const actual = typeof bound === 'object' && bound ? bound.port : port;
      const address = `${isIPv6(host) ? `[${host}]` : host}:${actual}`;
      return { port: actual, address, url: `http://${address}` };
    },
    close(closeOptions = {}) {
      closing ??= drain(closeOptions.graceMs ?? 10_000);
      return closing;
    },
  };
}

/** Slow-client protection; changed by a reload for connections accepted after it. */
function applyTimeouts(server: Server, generation: Generation): void {
  const timeouts = generation.config.data.timeouts;
  const headersMs = timeouts?.headersMs ?? 10_000;
  server.headersTimeout = headersMs;
  // Node requires the whole-request limit to be at least the headers limit.
  server.requestTimeout = Math.max(headersMs, timeouts?.requestMs ?? 30_000);
  server.keepAliveTimeout = timeouts?.idleMs ?? 5_000;
}

function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A cheap first look, so ordinary requests pay no split for the admin paths. */
function isAdminPath(url: string | undefined): boolean {
  const c = url?.charCodeAt(1);
  return c === 104 /* h */ || c === 114 /* r */ || c === 109; /* m */
}

function notFound(res: ServerResponse): true {
  writeProblem(res, new SwitchyardError('NOT_FOUND', 'Not an admin endpoint'), { instance: '/', extra: [] });
  return true;
}

function describe(error: SwitchyardError): string {
  const cause = error.cause instanceof Error ? `: ${error.cause.stack ?? error.cause.message}` : '';
  return `${error.code} ${error.message}${cause}`;
}
