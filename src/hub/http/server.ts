import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from '../../discovery/registry/index.js';
import { SwitchyardError } from '../../errors/index.js';
import type { FlagStore } from '../flags-store.js';
import { tokenGuard } from './auth.js';
import { createFeeds } from './feeds.js';
import { flagRoutes } from './flags.js';
import { renderMetrics } from './metrics.js';
import { parseCount, parseWait } from './params.js';
import { readJson, sendJson, sendProblem } from './respond.js';
import type { Route } from './route.js';

export interface HubHttpOptions {
  registry: Registry;
  /** Required on writes when set. */
  token?: string;
  /** Serves `/v1/flags` when given. */
  flags?: FlagStore;
  /** Called with errors that became 500s (bugs, backend failures), for the log. */
  onError?: (error: unknown) => void;
}

export interface HubHttpServer {
  readonly server: Server;
  close(): Promise<void>;
}

/** The registry HTTP API of `discovery/hub-api.ts`, on node:http. */
export function createHubHttpServer(options: HubHttpOptions): HubHttpServer {
  const { registry } = options;
  const guard = tokenGuard(options.token);
  const feeds = createFeeds(registry);
  let waiting = 0;

  const blocking = async <T>(wait: Promise<T>): Promise<T> => {
    waiting++;
    try {
      return await wait;
    } finally {
      waiting--;
    }
  };

  const routes: Route[] = [
    {
      method: 'PUT',
      pattern: /^\/v1\/registry\/instances\/([^/]+)$/,
      write: true,
      async handle(req, res, [id]) {
        sendJson(res, 200, await registry.register(await readJson(req), { id: id! }));
      },
    },
    {
      method: 'PUT',
      pattern: /^\/v1\/registry\/instances\/([^/]+)\/heartbeat$/,
      write: true,
      async handle(_req, res, [id]) {
        if (!(await registry.heartbeat(id!)))
          throw new SwitchyardError(
            'NOT_FOUND',
            `instance ${id} is not registered (evicted or never registered); register it again`,
            {
              details: { id },
            },
          );
        sendJson(res, 200, { id });
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/v1\/registry\/instances\/([^/]+)$/,
      write: true,
      async handle(_req, res, [id]) {
        await registry.deregister(id!);
        res.writeHead(204).end();
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/registry\/instances$/,
      async handle(_req, res, _params, url) {
        const service = url.searchParams.get('service') ?? undefined;
        sendJson(res, 200, { instances: await registry.instances(service || undefined) });
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/registry\/services$/,
      async handle(_req, res) {
        sendJson(res, 200, { services: await registry.services() });
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/registry\/services\/([^/]+)$/,
      async handle(req, res, [service], url) {
        const index = parseCount('index', url.searchParams.get('index'));
        const major = parseCount('major', url.searchParams.get('major'));
        const waitMs = parseWait(url.searchParams.get('wait'));
        const abort = new AbortController();
        res.once('close', () => abort.abort(new SwitchyardError('CANCELLED', 'the client went away')));
        let set;
        if (index === undefined) {
          set = await registry.service(service!, { ...(major === undefined ? {} : { major }) });
        } else {
          waiting++;
          try {
            set = await registry.waitForChange(service!, {
              index,
              waitMs,
              signal: abort.signal,
              ...(major === undefined ? {} : { major }),
            });
          } finally {
            waiting--;
          }
        }
        sendJson(res, 200, set, { 'x-switchyard-index': String(set.index) });
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/registry\/services\/([^/]+)\/events$/,
      async handle(_req, res, [service], url) {
        feeds.stream(service!, parseCount('major', url.searchParams.get('major')), res);
      },
    },
    {
      method: 'GET',
      pattern: /^\/metrics$/,
      async handle(_req, res) {
        const text = await renderMetrics(registry, { streams: () => feeds.streams, waiting: () => waiting });
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text);
      },
    },
    {
      method: 'GET',
      pattern: /^\/health$/,
      async handle(_req, res) {
        sendJson(res, 200, { status: 'passing', backend: registry.backend.name });
      },
    },
    ...(options.flags ? flagRoutes(options.flags, { blocking }) : []),
  ];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://hub');
    void dispatch(req, res, url).catch((error: unknown) => {
      const failure = SwitchyardError.from(error);
      if (failure.code === 'INTERNAL' || failure.code === 'UNAVAILABLE') options.onError?.(error);
      if (failure.code === 'CANCELLED' && res.destroyed) return;
      sendProblem(res, failure, url.pathname);
    });
  });

  async function dispatch(req: IncomingMessage, res: ServerResponse, url: URL) {
    let pathMatched = false;
    for (const route of routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      if (route.write) guard(req);
      const params = match.slice(1).map(decodeSegment);
      return route.handle(req, res, params, url);
    }
    throw new SwitchyardError(
      'NOT_FOUND',
      pathMatched ? `${req.method} is not supported on ${url.pathname}` : `no such resource: ${url.pathname}`,
    );
  }

  return {
    server,
    async close() {
      feeds.close();
      options.flags?.close();
      server.closeIdleConnections();
      await new Promise<void>((done) => {
        server.close(() => done());
        // Blocking queries and streams would hold `close` open for minutes.
        setImmediate(() => server.closeAllConnections());
      });
    },
  };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new SwitchyardError('INVALID_ARGUMENT', `malformed percent-encoding in ${segment}`);
  }
}
