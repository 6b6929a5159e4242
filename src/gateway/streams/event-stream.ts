import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SwitchyardError } from '../../errors/index.js';
import type { Handler } from '../handlers/operation.js';
import type { Caller, GatewayRoute } from '../route.js';
import { visibleTo, type EventFeed, type StreamEvent, type Visibility } from './feed.js';

/** A client further behind than this is cut off rather than buffered for without end. */
const maxBufferedBytes = 1024 * 1024;
const heartbeatMs = 15_000;

/** How long an EventSource waits before it reconnects (sent as `retry:`). */
const reconnectMs = 2_000;

/**
 * The id of the last event a client saw: the `Last-Event-ID` header an EventSource sends when it
 * reconnects, or a `lastEventId` query parameter (a WebSocket, or a client that kept it itself).
 */
function lastEventIdOf(req: { headers: Record<string, string | string[] | undefined>; url?: string }) {
  const header = req.headers['last-event-id'];
  if (typeof header === 'string' && header !== '') return header;
  const query = new URL(req.url ?? '/', 'http://gateway').searchParams.get('lastEventId');
  return query === null || query === '' ? undefined : query;
}

/** Told to a client whose last event is no longer kept: what it missed is gone, it should reload. */
const resync = { event: 'resync', data: { reason: 'last-event-id-unknown' } } as const;

/**
 * Events → clients: `GET` with `Accept: text/event-stream` streams server-sent events
 * (`id`, `event`, `data` as JSON); a WebSocket upgrade of the same path streams
 * `{ id, event, data }` messages. Each client sees only the events its identity may see. A client
 * that reconnects with the last id it saw gets the events it missed, if the gateway still keeps
 * them; otherwise a `resync` event comes first.
 */
export function eventStreamRoute(options: {
  feed: EventFeed;
  visibility: Visibility;
}): Handler & Pick<GatewayRoute, 'streaming' | 'upgrade'> {
  const { feed, visibility } = options;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });

  // An owner filter shows an anonymous caller nothing: it is asked to authenticate instead.
  const check = (caller: Caller) => {
    if (visibility.owner && !caller.identity)
      throw new SwitchyardError(
        'UNAUTHENTICATED',
        'This stream shows each caller its own events: send credentials',
        {
          details: { reason: 'missing-credentials' },
        },
      );
  };

  const handler: Handler = async (ex) => {
    check(ex);
    if (!String(ex.req.headers.accept ?? '').includes('text/event-stream'))
      throw new SwitchyardError(
        'NOT_ACCEPTABLE',
        'This is an event stream: send Accept: text/event-stream, or open a WebSocket',
      );
    const { res } = ex;
    const visible = visibleTo(visibility, ex.identity);
    res.writeHead(200, [
      'content-type',
      'text/event-stream; charset=utf-8',
      'cache-control',
      'no-cache, no-transform',
      'x-accel-buffering',
      'no',
      ...ex.extra,
    ]);
    res.write(`retry: ${reconnectMs}\n: connected\n\n`);
    const after = lastEventIdOf(ex.req);
    const { stop, resumed } = feed.listen((event) => {
      if (!visible(event)) return;
      if (res.writableLength > maxBufferedBytes) return void res.destroy();
      res.write(`id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.payload)}\n\n`);
    }, after);
    if (after !== undefined && !resumed)
      res.write(`event: ${resync.event}\ndata: ${JSON.stringify(resync.data)}\n\n`);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
    await new Promise<void>((done) => res.once('close', done));
    stop();
    clearInterval(heartbeat);
  };

  const upgrade = (caller: Caller, socket: Duplex, head: Buffer) => {
    check(caller);
    sockets.handleUpgrade(caller.req, socket, head, (ws: WebSocket) => {
      const visible = visibleTo(visibility, caller.identity);
      const send = (event: StreamEvent) => {
        if (!visible(event)) return;
        if (ws.bufferedAmount > maxBufferedBytes) return void ws.terminate();
        ws.send(JSON.stringify({ id: event.id, event: event.event, data: event.payload }));
      };
      const after = lastEventIdOf(caller.req);
      const { stop, resumed } = feed.listen(send, after);
      if (after !== undefined && !resumed) ws.send(JSON.stringify(resync));
      const heartbeat = setInterval(() => ws.ping(), heartbeatMs);
      ws.on('message', () => {}); // streams flow one way; what a client sends is ignored
      ws.once('close', () => {
        stop();
        clearInterval(heartbeat);
      });
    });
  };

  return Object.assign(handler, { streaming: true, upgrade });
}
