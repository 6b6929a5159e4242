import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { once } from 'node:events';
import { SwitchyardError } from '../../errors/index.js';
import type { OutgoingMessage } from '../adapter.js';
import { amqpCode, type Link } from './link.js';
import { namesFor, routingKey } from './topology.js';

/** One `publish` call's messages on one confirm channel, settled by its last confirm. */
interface Batch {
  readonly messages: readonly OutgoingMessage[];
  /** Ids of messages the broker returned (reached no queue), filled before their confirms arrive. */
  returned?: string[];
  fail(error: Error): void;
}

interface Open {
  readonly ch: ConfirmChannel;
  /** Set when the broker closed the channel with an error (e.g. 404: the exchange does not exist). */
  error?: unknown;
  closed: boolean;
  /**
   * Batches still awaiting confirms. amqplib stops failing a closed channel's unconfirmed callbacks at
   * the first already-settled slot (confirms arrive out of order across queues), so the channel's close
   * fails every one of them here: a publish never hangs. A `basic.return` is matched to its batch here.
   */
  readonly batches: Set<Batch>;
}

/** How many confirm channels a publisher keeps open at most; the least recently used idle one goes first. */
export const maxPublishChannels = 128;

/**
 * Publishes on confirm channels, one per Switchyard channel (exchange): every message is `persistent`
 * and `mandatory`, and a batch resolves only when the broker confirmed each of its messages. A message
 * that reached no queue (not even the channel's `unrouted` queue, e.g. because someone deleted it)
 * comes back as `basic.return` before its confirm, and the publish fails: a confirm alone would claim
 * it was stored.
 *
 * One AMQP channel per destination because RabbitMQ answers a publish to an exchange that does not
 * exist (a reply to an instance that is gone, a deleted channel) by closing the AMQP channel: on a
 * shared one, every publish awaiting its confirm would fail with it. Messages of one Switchyard channel
 * keep their order on their AMQP channel.
 */
export class Publisher {
  /** Open (or opening) confirm channels by exchange, least recently used first. */
  private readonly opens = new Map<string, { open: Promise<Open>; users: number }>();

  constructor(
    private readonly link: Link,
    private readonly prefix: string,
  ) {}

  private channel(exchange: string): { open: Promise<Open>; users: number } {
    let entry = this.opens.get(exchange);
    if (entry) {
      this.opens.delete(exchange);
      this.opens.set(exchange, entry);
      return entry;
    }
    const open = (async () => {
      const model = await this.link.get();
      const ch = await model.createConfirmChannel();
      const state: Open = { ch, closed: false, batches: new Set() };
      ch.on('error', (error: unknown) => (state.error = error));
      ch.on('close', () => {
        state.closed = true;
        const lost = new Error('the channel closed before the broker confirmed');
        for (const batch of state.batches) batch.fail(lost);
        state.batches.clear();
        if (this.opens.get(exchange) === current) this.opens.delete(exchange);
      });
      // Rare (a deleted unrouted queue), so a scan of the batches in flight is cheap enough.
      ch.on('return', (msg: ConsumeMessage) => {
        const id = msg.properties.messageId as string | undefined;
        for (const batch of state.batches)
          if (batch.messages.some((m) => m.id === id)) (batch.returned ??= []).push(id!);
      });
      return state;
    })();
    const current = (entry = { open, users: 0 });
    open.catch(() => {
      if (this.opens.get(exchange) === current) this.opens.delete(exchange);
    });
    this.opens.set(exchange, entry);
    this.closeIdle();
    return entry;
  }

  /** Closes the least recently used channels nobody is publishing on, down to the limit. */
  private closeIdle(): void {
    let excess = this.opens.size - maxPublishChannels;
    for (const [exchange, entry] of this.opens) {
      if (excess <= 0) break;
      if (entry.users > 0) continue;
      this.opens.delete(exchange);
      excess--;
      void entry.open.then((state) => state.ch.close()).catch(() => {});
    }
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byChannel = new Map<string, OutgoingMessage[]>();
    for (const m of messages) {
      const list = byChannel.get(m.channel);
      if (list) list.push(m);
      else byChannel.set(m.channel, [m]);
    }
    if (byChannel.size === 1) return this.publishTo(messages[0]!.channel, messages);
    const results = await Promise.allSettled(
      [...byChannel].map(([channel, list]) => this.publishTo(channel, list)),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Publishes messages of one Switchyard channel, in order, on its own confirm channel. */
  private async publishTo(channel: string, messages: readonly OutgoingMessage[]): Promise<void> {
    const exchange = namesFor(this.prefix, channel).exchange;
    const entry = this.channel(exchange);
    entry.users++;
    try {
      await this.confirmed(entry.open, exchange, channel, messages);
    } finally {
      entry.users--;
    }
  }

  private async confirmed(
    open: Promise<Open>,
    exchange: string,
    channel: string,
    messages: readonly OutgoingMessage[],
  ): Promise<void> {
    let state: Open;
    try {
      state = await open;
    } catch (error) {
      throw SwitchyardError.is(error) ? error : unavailable(error);
    }
    let returned: readonly string[] | undefined;
    try {
      returned = await this.send(state, exchange, messages);
    } catch (failure) {
      if (amqpCode(state.error) === 404)
        throw new SwitchyardError('NOT_FOUND', `Channel ${channel} does not exist on RabbitMQ`, {
          cause: state.error,
          details: { channels: [channel] },
        });
      throw unavailable(state.error ?? failure);
    }
    if (returned) {
      const unroutable = messages.filter((m) => returned.includes(m.id));
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        `No queue received ${unroutable.length} of ${messages.length} messages: channel ${channel} partition ${unroutable[0]!.partition} reached no queue (is its unrouted queue missing?)`,
        {
          details: {
            unroutable: unroutable.map((m) => ({ id: m.id, channel: m.channel, partition: m.partition })),
          },
        },
      );
    }
  }

  /**
   * Writes the messages in order and resolves once the broker confirmed them all, with the ids of any
   * it returned; rejects when one was nacked or the channel closed first. One promise and one confirm
   * callback per batch rather than per message: a relay publishes thousands at a time.
   */
  private async send(
    state: Open,
    exchange: string,
    messages: readonly OutgoingMessage[],
  ): Promise<readonly string[] | undefined> {
    if (state.closed) throw new Error('the channel is closed');
    let remaining = messages.length;
    let failure: Error | undefined;
    let settle!: () => void;
    const confirmed = new Promise<void>((resolve, reject) => {
      settle = () => {
        state.batches.delete(batch);
        if (failure) reject(failure);
        else resolve();
      };
    });
    const batch: Batch = {
      messages,
      fail(error) {
        failure ??= error;
        remaining = 0;
        settle();
      },
    };
    state.batches.add(batch);
    const onConfirm = (error: unknown) => {
      if (remaining === 0) return; // already failed by the channel's close
      if (error) failure ??= error instanceof Error ? error : new Error(String(error));
      if (--remaining === 0) settle();
    };
    for (const [i, m] of messages.entries()) {
      if (state.closed) break;
      let ok: boolean;
      try {
        ok = state.ch.publish(
          exchange,
          routingKey(m.partition),
          Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength),
          { persistent: true, mandatory: true, messageId: m.id, headers: m.headers },
          onConfirm,
        );
      } catch (error) {
        // Nothing after this message was written; the ones before still get their confirms.
        failure ??= error instanceof Error ? error : new Error(String(error));
        remaining -= messages.length - i - 1;
        onConfirm(undefined);
        break;
      }
      // Respect the socket's back-pressure instead of buffering a large batch in memory.
      if (!ok && !state.closed) await Promise.race([once(state.ch, 'drain'), once(state.ch, 'close')]);
    }
    await confirmed;
    return batch.returned;
  }

  async close(): Promise<void> {
    const opens = [...this.opens.values()];
    this.opens.clear();
    await Promise.all(
      opens.map(async ({ open }) => {
        const state = await open.catch(() => undefined);
        if (state && !state.closed) await state.ch.close().catch(() => {});
      }),
    );
  }
}

function unavailable(cause: unknown): SwitchyardError {
  return new SwitchyardError(
    'UNAVAILABLE',
    'RabbitMQ did not confirm the publish; it may or may not be stored',
    {
      cause,
    },
  );
}
