import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { SwitchyardError } from '../errors/index.js';
import { writeRawProblem } from './edge/client-errors.js';
import { requestIdOf } from './edge/request-id.js';
import type { Generation } from './generation.js';
import { httpDetailOf } from './http/refusal.js';
import type { PipelineHooks } from './pipeline.js';
import { authenticate, limitRate } from './policies/edge.js';
import type { Caller } from './route.js';

/**
 * A WebSocket upgrade: routed like a GET, through the same authentication and rate limit as any
 * request, then handed to the route that streams. Refusals are problem+json on the raw connection.
 */
export async function serveUpgrade(
  gen: Generation,
  hooks: PipelineHooks,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const started = performance.now();
  const requestId = requestIdOf(req.headers['x-request-id']);
  const path = (req.url ?? '/').split('?', 1)[0]!;
  const match = gen.router.match('GET', path, req.headers);
  const route = match.kind === 'route' ? match.route : undefined;
  let status = 101;
  const extra = ['x-request-id', requestId];
  socket.on('error', () => socket.destroy());
  try {
    if (!route?.upgrade) throw new SwitchyardError('NOT_FOUND', `No WebSocket endpoint at ${path}`);
    const caller: Caller = { req, route, extra, identity: undefined, identityHeaders: undefined };
    if (gen.auth) await authenticate(caller, gen.auth);
    if (gen.rateLimit && route.policies.rateLimit) await limitRate(caller, gen.rateLimit);
    route.upgrade(caller, socket, head);
  } catch (thrown) {
    const error = SwitchyardError.from(thrown);
    const http = httpDetailOf(error);
    status = writeRawProblem(socket, error, {
      headers: [...extra, ...(http?.headers ?? [])],
      ...(http?.status === undefined ? {} : { status: http.status }),
    });
  } finally {
    hooks.metrics.request(route?.id ?? 'unmatched', 'GET', status, (performance.now() - started) / 1000);
  }
}
