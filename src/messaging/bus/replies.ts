import { isWireError, fromWire, SwitchyardError } from '../../errors/index.js';
import type { Codec } from '../../codec/index.js';
import { createEnvelope, toHeaders } from '../../envelope/index.js';
import type { BrokerAdapter, ChannelSpec, Consumer, OutgoingMessage } from '../adapter.js';
import { attributesOf, decodeBody, type DecodedAttributes } from './encoding.js';
import type { GatheredReply } from './types.js';

export const replyStatusHeader = 'x-reply-status';

/** The reply to a request: its causation id is the request's id, which is how the sender matches it. */
export function replyMessage(
  request: DecodedAttributes & { replyto: string; id: string },
  source: string,
  outcome: { ok: true; value: unknown } | { ok: false; error: SwitchyardError },
  codec: Codec,
): OutgoingMessage {
  const body = outcome.ok ? codec.encode(outcome.value ?? {}) : codec.encode(outcome.error.toJSON());
  const envelope = createEnvelope({
    id: `${request.id}.reply.${source}`,
    source,
    type: `${request.type ?? 'unknown'}.reply`,
    data: undefined,
    causationid: request.id,
    correlationid: request.correlationid,
    traceparent: request.traceparent,
    datacontenttype: codec.contentType,
  });
  return {
    channel: request.replyto,
    partition: 0,
    id: envelope.id,
    headers: { ...toHeaders(envelope), [replyStatusHeader]: outcome.ok ? 'ok' : 'error' },
    body,
  };
}

interface Pending {
  readonly expected: number;
  readonly replies: GatheredReply<unknown>[];
  readonly settle: (replies: GatheredReply<unknown>[]) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * This instance's reply channel and the requests waiting on it. One consumer for all replies, so a
 * request costs a map entry, not a subscription. Replies for requests that already timed out are
 * acknowledged and dropped: their sender has stopped waiting.
 */
export class ReplyInbox {
  readonly #pending = new Map<string, Pending>();
  #consumer: Consumer | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly broker: BrokerAdapter,
    readonly channel: string,
    private readonly codecs: readonly Codec[],
    private readonly member: string,
  ) {}

  /** Starts consuming once; `ensure` creates the channel first. */
  start(ensure: () => Promise<void>, spec: ChannelSpec): Promise<void> {
    this.#loop ??= ensure().then(() => {
      const consumer = this.broker.consume({
        // The same spec as the channel was created with: RabbitMQ refuses a queue redeclared with other arguments.
        channel: spec,
        group: this.member,
        member: this.member,
      });
      this.#consumer = consumer;
      void this.#consume(consumer);
    });
    return this.#loop;
  }

  /** Waits for up to `expected` replies to request `id` until `deadline`. */
  wait(id: string, expected: number, deadline: number): Promise<GatheredReply<unknown>[]> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#finish(id), Math.max(0, deadline - Date.now()));
      timer.unref();
      this.#pending.set(id, { expected, replies: [], settle: resolve, timer });
    });
  }

  cancel(id: string): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.#pending.delete(id);
  }

  async close(): Promise<void> {
    for (const id of [...this.#pending.keys()]) this.#finish(id);
    await this.#consumer?.close();
  }

  #finish(id: string): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.#pending.delete(id);
    pending.settle(pending.replies);
  }

  async #consume(consumer: Consumer): Promise<void> {
    for await (const delivery of consumer) {
      const attributes = attributesOf(delivery);
      const pending = attributes.causationid ? this.#pending.get(attributes.causationid) : undefined;
      if (pending) {
        pending.replies.push(this.#read(delivery, attributes.source ?? 'unknown'));
        if (pending.replies.length >= pending.expected) this.#finish(attributes.causationid!);
      }
      await delivery.ack().catch(() => undefined);
    }
  }

  #read(delivery: Parameters<typeof decodeBody>[0], source: string): GatheredReply<unknown> {
    try {
      const value = decodeBody(delivery, this.codecs);
      if (delivery.headers[replyStatusHeader] !== 'error') return { source, reply: value };
      return {
        source,
        error: isWireError(value)
          ? fromWire(value)
          : new SwitchyardError('UNKNOWN', 'Unreadable error reply'),
      };
    } catch (error) {
      return { source, error: SwitchyardError.from(error) };
    }
  }
}
