import type { Context } from '../../runtime/index.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIPv6, Server as NetServer } from 'node:net';
import { defaultCodecs, type Codec } from '../../codec/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { deadlineExceeded, type Host } from '../../runtime/index.js';
import { mustClose, readBody } from './body.js';
import { contextFromHeaders } from './headers.js';
import { negotiation } from './negotiation.js';
import { inputFromBody, inputFromQuery, type HttpRoute } from './mapping.js';
import { encodeAnswer, send, sendJson, sendProblem } from './respond.js';
import { createRouter, type Match, type Router } from './router.js';

export interface HttpServerOptions {
  /** Serves every contract `host.services()` lists when `listen()` is called. */
  host: Host;
  /** 0 (the default) picks a free port. */
  port?: number;
  hostname?: string;
  /** Largest request body accepted; larger ones get 413 PAYLOAD_TOO_LARGE. 1 MiB by default. */
  bodyLimitBytes?: number;
  /** Whether the process is ready for traffic (`/readyz`), on top of listening and not draining. */
  ready?: () => boolean;
  /** Body formats, negotiated by `Content-Type` and `Accept`; JSON and MessagePack by default. */
  codecs?: readonly Codec[];
  /** Hears every error answered with a 5xx status (for logs); its `cause` is the original exception. */
  onError?: (error: SwitchyardError, request: { method: string; path: string }) => void;
  /** Serves `GET /metrics` (Prometheus text) when given. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

export interface HttpServer {
  /** Builds the route table from the host's services and starts listening. */
  listen(): Promise<{ port: number; address: string }>;
  /**
   * Graceful stop: stops accepting connections, turns `/readyz` to 503, lets in-flight calls finish
   * for up to `graceMs` (10 s by default), then closes idle keep-alive connections and destroys the
   * rest.
   */
  close(options?: { graceMs?: number }): Promise<void>;
  /** Calls being served now. */
  readonly inFlight: number;
}

const kContext = Symbol('switchyard.context');
type Tracked = ServerResponse & { [kContext]?: Context };

/** Cancels the handler's context when the client goes away before the answer was written. */
function onResponseClose(this: Tracked): void {
  if (!this.writableEnded) this[kContext]?.cancel(new SwitchyardError('CANCELLED', 'The client went away'));
}

/**
 * The HTTP side of a service process: each contract operation at its HTTP mapping, on plain
 * `node:http` with a precompiled route table, so a call costs one route lookup, one decode, the
 * host's dispatch and one encode.
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { host, hostname = '127.0.0.1', bodyLimitBytes = 1024 * 1024, codecs = defaultCodecs } = options;
  const negotiate = negotiation(codecs);
  // How much of an oversized body is read and dropped so its sender can read the 413 (see readBody).
  const lingerBytes = Math.max(64 * 1024, bodyLimitBytes);
  let router: Router | undefined;
  let listening = false;
  let draining = false;
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const settled = () => {
    if (--inFlight === 0) onIdle?.();
  };

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const match = router!.match(req.method ?? 'GET', path);
    if (match.kind !== 'route') return answerOther(req, res, path, match);
    if (draining) return refuse(res, path);
    inFlight++;
    void serve(req, res, match.route, match.params, q < 0 ? '' : url.slice(q + 1), path);
  });

  async function serve(
    req: IncomingMessage,
    res: Tracked,
    route: HttpRoute,
    params: readonly string[],
    query: string,
    path: string,
  ): Promise<void> {
    res.on('close', onResponseClose);
    let close = false;
    try {
      const out = negotiate.accept(req.headers.accept);
      if (!out) throw new SwitchyardError('NOT_ACCEPTABLE', `Can answer only ${names(codecs)}`);
      let input: Record<string, unknown>;
      if (route.queryParams) input = inputFromQuery(route, params, query);
      else {
        const type = req.headers['content-type'];
        const codec = negotiate.contentType(type);
        if (!codec)
          throw new SwitchyardError('UNSUPPORTED_MEDIA_TYPE', `Cannot read ${type}; send ${names(codecs)}`);
        let bytes: Buffer;
        try {
          bytes = await readBody(req, bodyLimitBytes, lingerBytes);
        } catch (error) {
          close = mustClose(req);
          throw error;
        }
        input = inputFromBody(route, params, bytes.length === 0 ? {} : codec.decode(bytes));
      }
      // Cancelable costs nothing until a handler reads ctx.signal: no AbortController per request.
      const ctx = contextFromHeaders(req.headers, { clients: host });
      res[kContext] = ctx;
      if (res.destroyed) ctx.cancel(new SwitchyardError('CANCELLED', 'The client went away'));
      if (ctx.expired) throw deadlineExceeded();
      const { contract, operation, def } = route;
      const output = await host.dispatch({ contract, operation, def, input, ctx });
      send(res, 200, out.contentType, encodeAnswer(out, output), draining);
    } catch (thrown) {
      const error = SwitchyardError.from(thrown);
      if (error.httpStatus >= 500) options.onError?.(error, { method: route.method, path });
      sendProblem(res, error, { instance: path, close: close || draining });
    } finally {
      settled();
    }
  }

  function answerOther(req: IncomingMessage, res: ServerResponse, path: string, match: Match): void {
    if (path === '/metrics' && options.metrics && req.method === 'GET') {
      options.metrics().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        () => res.writeHead(500).end(),
      );
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, path, 'GET, HEAD');
      if (path === '/healthz') return sendJson(res, 200, { status: 'ok' }, draining);
      const ready = listening && !draining && (options.ready?.() ?? true);
      return sendJson(
        res,
        ready ? 200 : 503,
        { status: draining ? 'draining' : ready ? 'ready' : 'not-ready' },
        draining,
      );
    }
    if (match.kind === 'method') return methodNotAllowed(res, path, match.allow);
    const error = new SwitchyardError('NOT_FOUND', `no operation at ${req.method} ${path}`);
    sendProblem(res, error, { instance: path, close: draining });
  }

  /**
   * 405 with `Allow`, and code UNIMPLEMENTED: the method and path name no operation, which is what
   * UNIMPLEMENTED means (and what gRPC answers for an unknown method). The status stays HTTP's own.
   */
  function methodNotAllowed(res: ServerResponse, path: string, allow: string): void {
    const error = new SwitchyardError(
      'UNIMPLEMENTED',
      `${path} does not take this method; it takes ${allow}`,
      {
        details: { allow: allow.split(', ') },
      },
    );
    sendProblem(res, error, { instance: path, close: draining, status: 405, extra: ['allow', allow] });
  }

  /**
   * A call arriving on a kept-alive connection while draining is refused before any work, so the
   * error says so (`notSent`): even a non-idempotent call may be sent again, to another instance.
   */
  function refuse(res: ServerResponse, path: string): void {
    const error = new SwitchyardError('UNAVAILABLE', 'The service is shutting down', {
      details: { notSent: true, draining: true },
    });
    sendProblem(res, error, { instance: path, close: true });
  }

  return {
    get inFlight() {
      return inFlight;
    },
    async listen() {
      router = createRouter(host.services());
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, hostname, () => {
          server.off('error', reject);
          resolve();
        });
      });
      listening = true;
      const bound = server.address();
      const port = typeof bound === 'object' && bound ? bound.port : (options.port ?? 0);
      return { port, address: `${isIPv6(hostname) ? `[${hostname}]` : hostname}:${port}` };
    },
    close(closeOptions = {}) {
      closing ??= drain(closeOptions.graceMs ?? 10_000);
      return closing;
    },
  };

  async function drain(graceMs: number): Promise<void> {
    draining = true;
    if (!listening) return;
    // net's close, not http's: http's also drops idle keep-alive connections at once, and a client
    // holding one should still be able to ask /readyz and hear 503 while the drain runs.
    const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    if (inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        onIdle = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
    }
    // http's close now: it closes the idle connections and stops its connection-checking timer.
    server.close();
    server.closeAllConnections();
    await closed;
    listening = false;
  }
}

function names(codecs: readonly Codec[]): string {
  return codecs.map((c) => c.contentType).join(' or ');
}
