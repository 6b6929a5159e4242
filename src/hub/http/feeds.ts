import type { ServerResponse } from 'node:http';
import type { Registry } from '../../discovery/registry/index.js';
import type { InstanceSet } from '../../discovery/types.js';

interface Client {
  readonly res: ServerResponse;
  readonly major: number | undefined;
  /** The index last written, so a client never gets the same set twice. */
  sent: number;
  /** True while the socket's buffer is full; the newest set is written once it drains. */
  blocked: boolean;
}

interface Feed {
  latest: InstanceSet | undefined;
  /** The latest set as SSE text, per major filter: built once, written to every client. */
  readonly texts: Map<number | undefined, string>;
  readonly clients: Set<Client>;
  stop: () => void;
}

/** How often an idle stream carries a comment, so proxies and clients can tell it is alive. */
const keepAliveMs = 15_000;

/**
 * Server-sent events of `/services/:service/events`. All streams of one service share one registry
 * watch and one serialisation per change, so a change costs one read however many clients listen.
 * A slow client skips intermediate sets and gets the newest when its socket drains: each event
 * carries the whole set, so nothing is lost by skipping.
 */
export function createFeeds(registry: Registry) {
  const feeds = new Map<string, Feed>();

  const text = (feed: Feed, major: number | undefined): string => {
    let cached = feed.texts.get(major);
    if (cached === undefined) {
      const set = feed.latest!;
      const data: InstanceSet =
        major === undefined
          ? set
          : { ...set, instances: set.instances.filter((i) => Number.parseInt(i.version, 10) === major) };
      cached = `id: ${set.index}\nevent: instances\ndata: ${JSON.stringify(data)}\n\n`;
      feed.texts.set(major, cached);
    }
    return cached;
  };

  const push = (feed: Feed, client: Client) => {
    if (!feed.latest || client.blocked || client.sent === feed.latest.index) return;
    client.sent = feed.latest.index;
    if (!client.res.write(text(feed, client.major))) {
      client.blocked = true;
      client.res.once('drain', () => {
        client.blocked = false;
        push(feed, client);
      });
    }
  };

  const open = (service: string): Feed => {
    const feed: Feed = {
      latest: undefined,
      texts: new Map(),
      clients: new Set(),
      stop: () => undefined,
    };
    feeds.set(service, feed);
    feed.stop = registry.watch(service, (set) => {
      feed.latest = set;
      feed.texts.clear();
      for (const client of feed.clients) push(feed, client);
    });
    return feed;
  };

  return {
    /** Streams a service's served set to `res` until the client goes away. */
    stream(service: string, major: number | undefined, res: ServerResponse): void {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 1000\n\n');
      const feed = feeds.get(service) ?? open(service);
      const client: Client = { res, major, sent: -1, blocked: false };
      feed.clients.add(client);
      push(feed, client);
      const ping = setInterval(() => client.blocked || res.write(': keep-alive\n\n'), keepAliveMs);
      res.once('close', () => {
        clearInterval(ping);
        feed.clients.delete(client);
        if (feed.clients.size === 0 && feeds.get(service) === feed) {
          feeds.delete(service);
          feed.stop();
        }
      });
    },
    /** Open streams, for `/metrics`. */
    get streams(): number {
      let n = 0;
      for (const feed of feeds.values()) n += feed.clients.size;
      return n;
    },
    /** Ends every stream (the hub is stopping). */
    close(): void {
      for (const [service, feed] of feeds) {
        feeds.delete(service);
        feed.stop();
        for (const client of feed.clients) client.res.end();
      }
    },
  };
}
