import { codecForContentType } from '../../codec/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { readBody } from '../../rpc/http/body.js';
import { inputFromBody, inputFromQuery, type HttpRoute } from '../../rpc/http/mapping.js';
import { requestHeadersOut, responseHeadersOut, single } from '../http/headers.js';
import { writeAnswer } from '../http/respond.js';
import type { Exchange } from '../route.js';
import type { UpstreamRequest, UpstreamResponse } from '../upstream/forward.js';

/**
 * The request body within the route's limit, or undefined when the request has none. A declared
 * length over the limit fails before a byte is read (413).
 */
export function readRequestBody(ex: Exchange): Promise<Buffer | undefined> {
  const { req } = ex;
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined)
    return Promise.resolve(undefined);
  const limit = ex.route.policies.bodyBytes;
  return readBody(req, limit, Math.max(64 * 1024, limit));
}

/**
 * The operation's input from the request, as a service would read it: path parameters, then the
 * query (GET, DELETE) or the body decoded by its `Content-Type`.
 */
export function operationInput(
  ex: Exchange,
  route: HttpRoute,
  body: Buffer | undefined,
): Record<string, unknown> {
  if (route.queryParams) return inputFromQuery(route, ex.params, ex.query);
  return inputFromBody(route, ex.params, decodeBody(ex, body) ?? {});
}

/** The body decoded by its `Content-Type` (JSON or MessagePack); undefined when there is none. */
export function decodeBody(ex: Exchange, body: Buffer | undefined): unknown {
  const type = ex.req.headers['content-type'];
  const codec = codecForContentType(type);
  if (!codec)
    throw new SwitchyardError('UNSUPPORTED_MEDIA_TYPE', `Cannot read ${type}; send application/json`);
  return body === undefined || body.length === 0 ? undefined : codec.decode(body);
}

/** The request as it goes upstream: end-to-end headers, plus what the gateway vouches for. */
export function upstreamRequest(ex: Exchange, path: string, body: Buffer | undefined): UpstreamRequest {
  const { req, trace } = ex;
  const headers = requestHeadersOut(req.headers);
  // Switchyard services read the request id as the correlation id, and the identity headers as
  // call-context metadata: each is sent once.
  headers.push('x-request-id', ex.requestId, 'traceparent', trace.traceparent);
  if (trace.tracestate !== undefined) headers.push('tracestate', trace.tracestate);
  const forwardedFor = req.headers['x-forwarded-for'];
  const peer = req.socket.remoteAddress ?? '';
  headers.push('x-forwarded-for', forwardedFor ? `${String(forwardedFor)}, ${peer}` : peer);
  if (req.headers.host !== undefined) headers.push('x-forwarded-host', req.headers.host);
  headers.push('x-forwarded-proto', 'encrypted' in req.socket ? 'https' : 'http');
  const identity = ex.identityHeaders;
  if (identity) for (const name in identity) headers.push(name, identity[name]!);
  return {
    method: req.method ?? 'GET',
    path,
    headers,
    body,
    clientGone: ex,
  };
}

/**
 * An upstream answer passed back to the client as it is, with the gateway's own headers; a streamed
 * body is written as it arrives (its length, when the upstream announced one, passed on).
 */
export async function answerFrom(ex: Exchange, response: UpstreamResponse): Promise<void> {
  ex.upstream = response.address;
  const headers = responseHeadersOut(response.headers, []);
  const { stream } = response;
  if (!stream) return writeAnswer(ex.res, response.status, headers, response.body, ex.extra);
  const { res } = ex;
  if (res.headersSent || res.destroyed) return stream.cancel(new Error('the client went away'));
  const length = single(response.headers['content-length']);
  if (length !== undefined) headers.push('content-length', length);
  for (const value of ex.extra) headers.push(value);
  res.writeHead(response.status, headers);
  await stream.pipe(res);
}

/** Path and query as the client sent them. */
export function target(ex: Exchange): string {
  return ex.query === '' ? ex.path : `${ex.path}?${ex.query}`;
}
