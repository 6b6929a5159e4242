import type { IncomingMessage, ServerResponse } from 'node:http';
import { SwitchyardError } from '../errors/index.js';
import { traceIdOf } from '../envelope/index.js';
import { mustClose } from '../rpc/http/body.js';
import { Context } from '../runtime/index.js';
import { isPreflight } from './edge/cors.js';
import type { GatewayMetrics } from './edge/metrics.js';
import { requestIdOf } from './edge/request-id.js';
import { edgeTrace } from './edge/trace.js';
import type { Generation } from './generation.js';
import { httpDetailOf, withHttp } from './http/refusal.js';
import { writeProblem } from './http/respond.js';
import { authenticate, clientKey, limitRate } from './policies/edge.js';
import type { Exchange, GatewayRoute } from './route.js';
import { sunsetError } from './versions/deprecation.js';

export interface PipelineHooks {
  readonly metrics: GatewayMetrics;
  /** Hears errors that are the gateway's or a service's fault (5xx), with their cause. */
  readonly onError?: (error: SwitchyardError, request: { method: string; path: string }) => void;
}

const clientGone = () => new SwitchyardError('CANCELLED', 'The client went away');

/**
 * One request through the edge, in a fixed order: request id and trace, header limits, CORS preflight,
 * routing, sunset and deprecation, authentication, rate limit, then the route's handler (body limit,
 * validation, the upstream call). Every failure on the way is answered as problem+json.
 */
export async function serveRequest(
  gen: Generation,
  hooks: PipelineHooks,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = performance.now();
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const trace = edgeTrace(req.headers);
  const requestId = requestIdOf(req.headers['x-request-id'], req.headers.traceparent ? undefined : trace);
  const extra = ['x-request-id', requestId];
  if (gen.cors) extra.push(...gen.cors.headers(req.headers.origin));
  let route: GatewayRoute | undefined;
  let ex: Exchange | undefined;
  let status = 200;
  let code: string | undefined;
  let counted = true;
  gen.enter();
  try {
    if (req.rawHeaders.length / 2 > gen.headerCount)
      throw withHttp(
        new SwitchyardError('PAYLOAD_TOO_LARGE', `More than ${gen.headerCount} request headers`, {
          details: { limit: 'headers', headerCount: gen.headerCount },
        }),
        { status: 431 },
      );
    const preflight = isPreflight(req);
    const match = gen.router.match(
      preflight ? String(req.headers['access-control-request-method']).toUpperCase() : method,
      path,
      req.headers,
    );
    if (match.kind === 'none') throw new SwitchyardError('NOT_FOUND', `No route for ${method} ${path}`);
    if (preflight) {
      const allow =
        match.kind === 'method' ? match.allow : String(req.headers['access-control-request-method']);
      return void (status = answerPreflight(gen, req, res, { requestId, allow, extra }));
    }
    if (match.kind === 'method')
      throw withHttp(
        new SwitchyardError('UNIMPLEMENTED', `${path} does not take ${method}; it takes ${match.allow}`, {
          details: { allow: match.allow.split(', ') },
        }),
        { status: 405, headers: ['allow', match.allow] },
      );
    route = match.route;
    if (route.streaming) {
      counted = false;
      gen.leave();
    }
    ex = new GatewayExchange({
      req,
      res,
      route,
      params: match.params,
      rest: match.rest,
      path,
      query: q < 0 ? '' : url.slice(q + 1),
      requestId,
      trace,
      extra,
    });
    const deprecation = route.deprecation;
    if (deprecation) {
      const gone = sunsetError(deprecation, Date.now());
      if (gone) throw withHttp(gone, { headers: deprecation.headers });
      extra.push(...deprecation.headers);
    }
    if (gen.auth) await authenticate(ex, gen.auth);
    if (deprecation) hooks.metrics.deprecated(route.id, deprecation.version, clientOf(ex));
    if (gen.rateLimit && route.policies.rateLimit) {
      try {
        await limitRate(ex, gen.rateLimit);
      } catch (error) {
        hooks.metrics.rateLimited(route.id);
        throw error;
      }
    }
    await route.handle(ex);
    status = res.statusCode;
  } catch (thrown) {
    const error = SwitchyardError.from(thrown);
    const http = httpDetailOf(error);
    if (http?.headers) extra.push(...http.headers);
    code = error.code;
    if (error.httpStatus >= 500 && error.code !== 'DEADLINE_EXCEEDED')
      hooks.onError?.(error, { method, path });
    status = res.headersSent
      ? res.statusCode
      : writeProblem(res, error, {
          instance: path,
          extra,
          close: mustClose(req),
          ...(http?.status === undefined ? {} : { status: http.status }),
        });
    if (res.headersSent && !res.writableEnded) res.destroy();
  } finally {
    if (counted) gen.leave();
    const seconds = (performance.now() - started) / 1000;
    hooks.metrics.request(route?.id ?? 'unmatched', method, status, seconds);
    gen.accessLog?.write({
      requestId,
      method,
      path,
      route: route?.id,
      status,
      durationMs: Math.round(seconds * 1e6) / 1000,
      client: ex ? clientOf(ex) : undefined,
      upstream: ex?.upstream,
      traceId: traceIdOf(trace.traceparent) ?? '',
      ...(code === undefined ? {} : { code }),
    });
  }
}

/** A CORS preflight for a path that exists: 204 with what the origin may do, or 403 for an origin not allowed. */
function answerPreflight(
  gen: Generation,
  req: IncomingMessage,
  res: ServerResponse,
  { requestId, allow, extra }: { requestId: string; allow: string; extra: readonly string[] },
): number {
  const headers = gen.cors?.preflight(req, allow);
  if (!headers)
    return writeProblem(res, new SwitchyardError('PERMISSION_DENIED', 'This origin may not call the API'), {
      instance: req.url ?? '/',
      extra,
    });
  res.writeHead(204, ['x-request-id', requestId, ...headers, 'content-length', '0']);
  res.end();
  return 204;
}

function clientOf(ex: Exchange): string {
  return ex.identity ? clientKey(ex) : 'anonymous';
}

type ExchangeInit = Pick<
  Exchange,
  'req' | 'res' | 'route' | 'params' | 'rest' | 'path' | 'query' | 'requestId' | 'trace' | 'extra'
>;

/** The exchange of a matched request; one class, so every request's object has the same shape. */
class GatewayExchange implements Exchange {
  readonly req: Exchange['req'];
  readonly res: Exchange['res'];
  readonly route: GatewayRoute;
  readonly params: readonly string[];
  readonly rest: string;
  readonly path: string;
  readonly query: string;
  readonly requestId: string;
  readonly trace: Exchange['trace'];
  readonly extra: string[];
  identity: Exchange['identity'] = undefined;
  identityHeaders: Exchange['identityHeaders'] = undefined;
  upstream: string | undefined = undefined;
  #ctx: Context | undefined;

  constructor(init: ExchangeInit) {
    this.req = init.req;
    this.res = init.res;
    this.route = init.route;
    this.params = init.params;
    this.rest = init.rest;
    this.path = init.path;
    this.query = init.query;
    this.requestId = init.requestId;
    this.trace = init.trace;
    this.extra = init.extra;
  }

  context(options?: { cancelOnClientGone?: boolean }): Context {
    if (this.#ctx) return this.#ctx;
    const timeoutMs = this.route.policies.timeoutMs;
    const cancelable = options?.cancelOnClientGone ?? false;
    const ctx = new Context({
      id: this.requestId,
      correlationId: this.requestId,
      trace: this.trace,
      ...(timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs }),
      ...(this.identityHeaders === undefined ? {} : { metadata: this.identityHeaders }),
      cancelable,
    });
    if (cancelable) this.onClientGone(() => ctx.cancel(clientGone()));
    return (this.#ctx = ctx);
  }

  onClientGone(listener: () => void): () => void {
    const { res } = this;
    const onClose = () => {
      if (!res.writableEnded) listener();
    };
    res.once('close', onClose);
    return () => res.off('close', onClose);
  }
}
