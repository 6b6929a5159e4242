import type { Msg, MsgHdrs } from 'nats';
import { json, msgpack, type Codec } from '../../codec/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { deadlineExceeded, type Call, type Transport } from '../../runtime/index.js';
import { openConnection, type NatsConnectionOptions, type OpenConnection } from './connection.js';
import { errorOfReply, fromPublishError } from './errors.js';
import { requestHeaderFactory, requestHeaders } from './headers.js';
import { createReplyMux, type ReplyMux } from '../../internal/nats-reply-mux.js';
import { checkPrefix, defaultSubjectPrefix, subjectCache } from './subjects.js';

export const natsCodecs = { json, msgpack } as const satisfies Record<string, Codec>;
export type NatsCodecName = keyof typeof natsCodecs;

export interface NatsTransportOptions extends NatsConnectionOptions {
  /** First tokens of every subject; must match the servers' (default `switchyard`). */
  subjectPrefix?: string;
  /** How requests are encoded (default `json`); replies come back in the same format. */
  codec?: NatsCodecName;
  /** How long a call whose context has no deadline waits for its reply (default 30 s). */
  defaultTimeoutMs?: number;
  /** Prefix of the reply subject (default `_INBOX`); for accounts whose permissions require another. */
  inboxPrefix?: string;
}

interface Link {
  readonly connection: OpenConnection;
  readonly mux: ReplyMux;
  readonly headers: () => MsgHdrs;
}

/** How long `close()` lets calls in flight wait for their replies. */
const closeGraceMs = 10_000;

/**
 * Calls services over NATS request-reply. Every request of a transport carries a reply subject under
 * one inbox (`_INBOX.<id>.<token>`) and all replies arrive through one wildcard subscription (see
 * `mux.ts`), so a call costs one publish. Load balancing is NATS's: a request goes to one member of
 * the service's queue group.
 *
 * The connection is opened on the first call (or taken from `connection`), so creating a transport is
 * free and `nats` is loaded only when something is actually called.
 */
export function natsTransport(options: NatsTransportOptions = {}): Transport {
  const prefix = checkPrefix(options.subjectPrefix ?? defaultSubjectPrefix);
  const codec = natsCodecs[options.codec ?? 'json'];
  // JSON is what a request without a content type means, so it needs no header.
  const contentType = codec === json ? undefined : codec.contentType;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
  const subjectOf = subjectCache(prefix);
  let open: Link | undefined;
  let opening: Promise<Link> | undefined;
  let closed = false;

  const connect = (): Promise<Link> =>
    (opening ??= openConnection(options, { name: 'switchyard-rpc-client' }).then(
      (connection) => {
        const inbox = connection.nats.createInbox(options.inboxPrefix);
        return (open = {
          connection,
          mux: createReplyMux(connection.nc, inbox, { publishError: fromPublishError }),
          headers: requestHeaderFactory(connection.nats),
        });
      },
      (error: unknown) => {
        // A later call tries again: NATS may just not be up yet.
        opening = undefined;
        throw error;
      },
    ));

  async function send(link: Link, call: Call): Promise<unknown> {
    const { ctx } = call;
    const subject = subjectOf(call.contract, call.operation);
    const remaining = ctx.remainingMs();
    if (remaining <= 0) throw deadlineExceeded();
    if (ctx.signalAborted()) throw new SwitchyardError('CANCELLED', 'The caller cancelled');
    const data = codec.encode(call.input);
    let headers: MsgHdrs | undefined;
    try {
      headers = requestHeaders(link.headers, ctx, remaining, contentType);
    } catch (error) {
      throw fromPublishError(error, subject);
    }
    const expiresAt = ctx.deadline ?? Date.now() + defaultTimeoutMs;
    const reply: Msg = await link.mux.request(subject, data, headers, expiresAt);
    const failure = errorOfReply(reply);
    if (failure) throw failure;
    try {
      return codec.decode(reply.data);
    } catch (error) {
      // The bytes came from the server: not the caller's fault, whatever the codec calls it.
      throw new SwitchyardError('INTERNAL', `${subject} sent a reply this client cannot decode`, {
        cause: error,
      });
    }
  }

  return {
    name: 'nats',
    remote: true,
    call(call) {
      if (closed) return Promise.reject(closedError());
      if (open) return send(open, call);
      return connect().then((link) => send(link, call));
    },
    async close() {
      closed = true;
      const link = open ?? (await opening?.catch(() => undefined));
      open = undefined;
      if (!link) return;
      await link.mux.close(closeGraceMs);
      const { nc, owned } = link.connection;
      // Drain sends whatever is still buffered before the connection closes.
      if (owned && !nc.isClosed()) await nc.drain();
    },
  };
}

function closedError(): SwitchyardError {
  return new SwitchyardError('UNAVAILABLE', 'The NATS transport is closed', { details: { notSent: true } });
}
