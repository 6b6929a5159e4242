import type { Msg, MsgHdrs, NatsConnection } from 'nats';
import { SwitchyardError } from '../errors/index.js';

/**
 * Request-reply over one reply subscription. Every request gets the reply subject `<inbox>.<token>`,
 * and one wildcard subscription on `<inbox>.*` receives every reply, matched back by its token: a call
 * costs one publish and one map lookup, never a subscribe/unsubscribe round trip with the server.
 *
 * This is what nats.js's own `request()` does, without its per-request extras (a timer promise raced
 * against the reply, a `nuid` token): measured, they doubled the client's CPU per call. Timeouts are
 * swept instead: the RPC client's deadline interceptor already fails a call exactly at its deadline,
 * so here they only bound calls without a deadline and forget requests whose reply never came.
 *
 * Used by the NATS RPC transport and by the JetStream publisher (a publish is a request whose reply is
 * the PubAck).
 */
export interface ReplyMux {
  /** The one subscription replies arrive on. */
  readonly subject: string;
  /**
   * Publishes a request; the reply, or a SwitchyardError: UNAVAILABLE with `notSent` when nothing
   * subscribes to the subject, DEADLINE_EXCEEDED when no reply came by `expiresAt`, UNAVAILABLE when
   * the connection closed first. A publish nats.js refuses is rejected as `publishError` makes it.
   */
  request(subject: string, data: Uint8Array, headers: MsgHdrs | undefined, expiresAt: number): Promise<Msg>;
  /** Resolves once no request waits for its reply (or after `graceMs`), then unsubscribes. */
  close(graceMs: number): Promise<void>;
}

interface Pending {
  readonly resolve: (msg: Msg) => void;
  readonly reject: (error: SwitchyardError) => void;
  readonly subject: string;
  readonly expiresAt: number;
}

export interface ReplyMuxOptions {
  /** How often requests past their expiry are failed (default 50 ms). */
  sweepMs?: number;
  /** What a publish nats.js refused (connection closed, payload too large…) is rejected with; default as is. */
  publishError?: (error: unknown, subject: string) => unknown;
}

export function createReplyMux(nc: NatsConnection, inbox: string, options: ReplyMuxOptions = {}): ReplyMux {
  const sweepMs = options.sweepMs ?? 50;
  const publishError = options.publishError ?? ((error: unknown) => error);
  const prefix = `${inbox}.`;
  const pending = new Map<string, Pending>();
  let seq = 0;
  let sweeper: NodeJS.Timeout | undefined;
  let onIdle: (() => void) | undefined;

  const settle = (token: string, p: Pending) => {
    pending.delete(token);
    if (pending.size === 0) onIdle?.();
    return p;
  };

  const sub = nc.subscribe(`${prefix}*`, {
    callback: (_error, msg) => {
      const token = msg.subject.slice(prefix.length);
      const p = pending.get(token);
      // A reply after its request expired: nobody waits for it any more.
      if (!p) return;
      settle(token, p);
      // NATS answers a request that reached no subscriber with an empty "503" status message.
      if (msg.data.length === 0 && msg.headers?.code === 503) p.reject(noResponders(p.subject));
      else p.resolve(msg);
    },
  });
  // The connection closed (or the subscription ended): no reply can come any more.
  void sub.closed.then(() => {
    for (const [token, p] of pending)
      settle(token, p).reject(
        new SwitchyardError('UNAVAILABLE', `Stopped waiting for ${p.subject}: the NATS link closed`, {
          details: { subject: p.subject },
        }),
      );
  });

  function sweep(): void {
    if (pending.size === 0) {
      // Stop ticking while idle; the next request starts the sweeper again.
      clearInterval(sweeper);
      sweeper = undefined;
      return;
    }
    const now = Date.now();
    for (const [token, p] of pending)
      if (p.expiresAt <= now)
        settle(token, p).reject(
          new SwitchyardError('DEADLINE_EXCEEDED', `No reply from ${p.subject} before the deadline`, {
            details: { subject: p.subject },
          }),
        );
  }

  return {
    subject: `${prefix}*`,
    request(subject, data, headers, expiresAt) {
      return new Promise<Msg>((resolve, reject) => {
        const token = (seq++).toString(36);
        const reply = prefix + token;
        try {
          nc.publish(subject, data, headers ? { reply, headers } : { reply });
        } catch (error) {
          reject(publishError(error, subject));
          return;
        }
        pending.set(token, { resolve, reject, subject, expiresAt });
        sweeper ??= setInterval(sweep, sweepMs).unref();
      });
    },
    async close(graceMs) {
      if (pending.size > 0)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          onIdle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      clearInterval(sweeper);
      if (!sub.isClosed()) sub.unsubscribe();
      await sub.closed;
    },
  };
}

function noResponders(subject: string): SwitchyardError {
  return new SwitchyardError('UNAVAILABLE', `No instance is serving ${subject}`, {
    details: { subject, notSent: true },
  });
}
