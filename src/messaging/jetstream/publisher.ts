import type { MsgHdrs } from 'nats';
import { SwitchyardError } from '../../errors/index.js';
import type { OutgoingMessage } from '../adapter.js';
import type { Link, NatsModule } from './link.js';
import { PubAcks } from './pub-acks.js';
import { isNotFound, namesFor, type Names } from './topology.js';

export interface PublisherSettings {
  readonly prefix: string;
  /** How long one message may take, retries included, before `publish` rejects. */
  readonly publishTimeoutMs: number;
}

function isNoResponders(error: unknown): boolean {
  return (error as { code?: string }).code === '503';
}

/**
 * Publishes with `Nats-Msg-Id` = envelope id and waits for every PubAck. A publish whose PubAck was lost
 * (timeout, broker restarting, "no responders" while JetStream comes back) is sent again with the same
 * id: the stream's duplicate window makes the retry harmless, so the retry cannot duplicate.
 */
export class Publisher {
  /** Per channel: names are built from escaped tokens, worth doing once rather than per message. */
  private readonly names = new Map<string, Names>();
  private acks: Promise<PubAcks> | undefined;

  constructor(
    private readonly link: Link,
    private readonly settings: PublisherSettings,
  ) {}

  async publish(nats: NatsModule, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const acks = await this.pubAcks();
    const results = await Promise.allSettled(messages.map((m) => this.one(nats, acks, m)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async pubAcks(): Promise<PubAcks> {
    const { nc } = await this.link.get();
    const current = await this.acks?.catch(() => undefined);
    if (current?.connection === nc) return current;
    this.acks = PubAcks.open(nc);
    return this.acks;
  }

  close(): void {
    void this.acks?.then((acks) => acks.close());
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

  private async one(nats: NatsModule, acks: PubAcks, m: OutgoingMessage): Promise<void> {
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
        await acks.publish(names.subject(m.partition), m.body, headers, Math.max(250, Math.min(5_000, left)));
        return;
      } catch (error) {
        const retriable = isNoResponders(error) || (error as { code?: string }).code === 'TIMEOUT';
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
