import type { Msg, MsgHdrs, NatsConnection } from 'nats';
import { SwitchyardError } from '../../errors/index.js';
import { createReplyMux, type ReplyMux } from '../../internal/nats-reply-mux.js';
import type { OutgoingMessage } from '../adapter.js';
import type { Link, NatsModule } from './link.js';
import { isNotFound, namesFor, type Names } from './topology.js';

export interface PublisherSettings {
  readonly prefix: string;
  /** How long one message may take, retries included, before `publish` rejects. */
  readonly publishTimeoutMs: number;
}

const decoder = new TextDecoder();

/** Nothing answered on the subject: JetStream is down, or no stream takes it. */
function isNoResponders(error: unknown): boolean {
  return SwitchyardError.is(error) && error.code === 'UNAVAILABLE' && error.details.notSent === true;
}

/** No PubAck came (none in time, none possible, the connection went away): worth sending again. */
function isUnconfirmed(error: unknown): boolean {
  return SwitchyardError.is(error) && (error.code === 'UNAVAILABLE' || error.code === 'DEADLINE_EXCEEDED');
}

/** JetStream's refusal in a PubAck (or a status in its place), if it refused. */
function refusal(reply: Msg): Error | undefined {
  const status = reply.headers?.code ?? 0;
  if (status >= 400) return new Error(reply.headers?.description || `JetStream answered ${status}`);
  const ack = JSON.parse(decoder.decode(reply.data)) as {
    error?: { code?: number; err_code?: number; description?: string };
  };
  if (!ack.error) return undefined;
  return Object.assign(new Error(ack.error.description ?? 'JetStream refused the message'), {
    code: String(ack.error.err_code ?? ack.error.code),
  });
}

/**
 * Publishes with `Nats-Msg-Id` = envelope id and waits for every PubAck, answered on one reply
 * subscription per connection (`nc.request`, which `js.publish` goes through, builds an error object
 * and a muxer entry per call: at tens of thousands of publishes a second, the publisher's largest
 * cost). A publish whose PubAck was lost
 * (timeout, broker restarting, "no responders" while JetStream comes back) is sent again with the same
 * id: the stream's duplicate window makes the retry harmless, so the retry cannot duplicate.
 */
export class Publisher {
  /** Per channel: names are built from escaped tokens, worth doing once rather than per message. */
  private readonly names = new Map<string, Names>();
  private acks: { readonly nc: NatsConnection; readonly mux: ReplyMux } | undefined;
  private closed = false;

  constructor(
    private readonly link: Link,
    private readonly settings: PublisherSettings,
  ) {}

  async publish(nats: NatsModule, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const acks = await this.pubAcks(nats);
    const results = await Promise.allSettled(messages.map((m) => this.one(nats, acks, m)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async pubAcks(nats: NatsModule): Promise<ReplyMux> {
    const { nc } = await this.link.get();
    if (this.acks?.nc !== nc) this.acks = { nc, mux: createReplyMux(nc, nats.createInbox()) };
    return this.acks.mux;
  }

  close(): void {
    this.closed = true;
    void this.acks?.mux.close(0);
  }

  private async streamMissing(stream: string): Promise<boolean> {
    try {
      const { jsm } = await this.link.get();
      await jsm.streams.info(stream);
      return false;
    } catch (error) {
      return isNotFound(error);
    }
  }

  private async one(nats: NatsModule, acks: ReplyMux, m: OutgoingMessage): Promise<void> {
    let names = this.names.get(m.channel);
    if (!names) {
      // Reply channels come and go with instances: keep the cache bounded.
      if (this.names.size >= 1_000) this.names.clear();
      this.names.set(m.channel, (names = namesFor(this.settings.prefix, m.channel)));
    }
    const headers: MsgHdrs = nats.headers();
    for (const [key, value] of Object.entries(m.headers)) headers.set(key, value);
    headers.set('Nats-Msg-Id', m.id);
    headers.set('Nats-Expected-Stream', names.stream);
    const deadline = Date.now() + this.settings.publishTimeoutMs;
    let attempt = 0;
    for (;;) {
      const left = deadline - Date.now();
      try {
        const expiresAt = Date.now() + Math.max(250, Math.min(5_000, left));
        const refused = refusal(await acks.request(names.subject(m.partition), m.body, headers, expiresAt));
        if (!refused) return;
        throw refused;
      } catch (error) {
        const retriable = !this.closed && isUnconfirmed(error);
        // "No responders" is also what a missing stream looks like: ask JetStream, which answers unless it is down.
        const missing = isNoResponders(error) && (await this.streamMissing(names.stream));
        if (missing || !retriable || Date.now() + 100 >= deadline) {
          throw new SwitchyardError(
            isNoResponders(error) ? 'NOT_FOUND' : 'UNAVAILABLE',
            isNoResponders(error)
              ? `No JetStream stream answered for channel ${m.channel} (not created, or JetStream unavailable)`
              : `JetStream did not confirm a message on channel ${m.channel}`,
            { cause: error, details: { channel: m.channel, partition: m.partition, id: m.id } },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** attempt++)));
      }
    }
  }
}
