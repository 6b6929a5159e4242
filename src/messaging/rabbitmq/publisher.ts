import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { once } from 'node:events';
import { SwitchyardError } from '../../errors/index.js';
import type { OutgoingMessage } from '../adapter.js';
import { amqpCode, type Link } from './link.js';
import { namesFor, routingKey } from './topology.js';

interface Pending {
  returned: boolean;
}

interface Open {
  readonly ch: ConfirmChannel;
  /** Set when the broker closed the channel with an error (e.g. 404: the exchange does not exist). */
  error?: unknown;
  closed: boolean;
  /**
   * Rejections of the publishes still awaiting their confirm. amqplib stops failing a closed
   * channel's unconfirmed callbacks at the first already-settled slot (confirms arrive out of order
   * across queues), so the channel's close fails every one of them here: a publish never hangs.
   */
  readonly unconfirmed: Set<(error: Error) => void>;
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
  /** Messages awaiting their confirm, by message id, to mark those the broker returned. */
  private readonly pending = new Map<string, Pending[]>();

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
      const state: Open = { ch, closed: false, unconfirmed: new Set() };
      ch.on('error', (error: unknown) => (state.error = error));
      ch.on('close', () => {
        state.closed = true;
        const lost = new Error('the channel closed before the broker confirmed');
        for (const fail of state.unconfirmed) fail(lost);
        state.unconfirmed.clear();
        if (this.opens.get(exchange) === current) this.opens.delete(exchange);
      });
      ch.on('return', (msg: ConsumeMessage) => {
        const id = msg.properties.messageId as string | undefined;
        for (const p of (id && this.pending.get(id)) || []) p.returned = true;
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
    const confirms: Promise<Pending>[] = [];
    for (const m of messages) {
      const entry: Pending = { returned: false };
      const list = this.pending.get(m.id) ?? [];
      list.push(entry);
      this.pending.set(m.id, list);
      let ok = true;
      let fail: ((error: Error) => void) | undefined;
      confirms.push(
        new Promise<Pending>((resolve, reject) => {
          if (state.closed) return reject(new Error('the channel is closed'));
          fail = reject;
          state.unconfirmed.add(reject);
          try {
            ok = state.ch.publish(
              exchange,
              routingKey(m.partition),
              Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength),
              { persistent: true, mandatory: true, messageId: m.id, headers: { ...m.headers } },
              (error: unknown) =>
                error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(entry),
            );
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        }).finally(() => {
          if (fail) state.unconfirmed.delete(fail);
          const rest = (this.pending.get(m.id) ?? []).filter((e) => e !== entry);
          if (rest.length) this.pending.set(m.id, rest);
          else this.pending.delete(m.id);
        }),
      );
      // Respect the socket's back-pressure instead of buffering a large batch in memory.
      if (!ok && !state.closed) await Promise.race([once(state.ch, 'drain'), once(state.ch, 'close')]);
    }
    const results = await Promise.allSettled(confirms);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      if (amqpCode(state.error) === 404)
        throw new SwitchyardError('NOT_FOUND', `Channel ${channel} does not exist on RabbitMQ`, {
          cause: state.error,
          details: { channels: [channel] },
        });
      throw unavailable(state.error ?? failed.reason);
    }
    const returned = messages.filter(
      (_, i) => (results[i] as PromiseFulfilledResult<Pending>).value.returned,
    );
    if (returned.length > 0)
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        `No queue received ${returned.length} of ${messages.length} messages: channel ${channel} partition ${returned[0]!.partition} reached no queue (is its unrouted queue missing?)`,
        {
          details: {
            unroutable: returned.map((m) => ({ id: m.id, channel: m.channel, partition: m.partition })),
          },
        },
      );
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
