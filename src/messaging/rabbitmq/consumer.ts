import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Consumer, ConsumerEvent, ConsumerOptions, Delivery } from '../adapter.js';
import { DeliveryQueue } from '../delivery-queue.js';
import { unfixable } from '../adapter-errors.js';
import { backoff, type Link } from './link.js';
import { applicationHeaders, bodyOf, isProbe, probeHeader } from './message.js';
import { namesFor } from './topology.js';

export interface ConsumerDeps {
  readonly link: Link;
  readonly prefix: string;
  /**
   * Declares the channel and the group's queues (idempotent) before each (re)subscription. Returns the
   * lease queue a member of an expiring group consumes to keep it (see `declareLease` in topology.ts).
   */
  readonly prepare: (model: ChannelModel) => Promise<string | undefined>;
  /** How often a member probes the partitions it does not own, to learn of a takeover. */
  readonly probeIntervalMs: number;
}

/**
 * One member of a group: one AMQP channel, one consumer per partition queue, prefetch 1 per consumer
 * (so one message in flight per partition). Single active consumer makes RabbitMQ deliver each
 * partition queue to one member at a time and move it to another member when this one's channel
 * closes; unacknowledged messages then return to the head of the queue with `x-delivery-count` raised.
 */
export class RabbitConsumer implements Consumer {
  private readonly deliveries = new DeliveryQueue<Delivery>(() => this.close());
  private closed = false;
  private ch: Channel | undefined;
  private readonly owned = new Set<number>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly running: Promise<void>;
  private wake: (() => void) | undefined;

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly options: ConsumerOptions,
  ) {
    this.running = this.run();
  }

  private emit(event: ConsumerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's failure must not stop consumption.
    }
  }

  private revokeAll(): void {
    if (this.owned.size === 0) return;
    const partitions = [...this.owned].sort((a, b) => a - b);
    this.owned.clear();
    this.emit({ type: 'revoked', partitions });
  }

  /** Subscribes, waits for the channel to close, and subscribes again with backoff until closed. */
  private async run(): Promise<void> {
    let failures = 0;
    let disconnected = false;
    while (!this.closed) {
      let ch: Channel | undefined;
      try {
        const model = await this.deps.link.get();
        const lease = await this.deps.prepare(model);
        ch = await model.createChannel();
        const lost = new Promise<unknown>((resolve) => {
          ch!.on('error', (error: unknown) => resolve(error));
          ch!.on('close', () => resolve(new Error('channel closed')));
        });
        if (this.closed) {
          await ch.close().catch(() => {});
          break;
        }
        this.ch = ch;
        await ch.prefetch(1, false);
        // Before subscribing: deliveries (and their 'assigned') may follow at once.
        if (disconnected) this.emit({ type: 'reconnected' });
        disconnected = false;
        failures = 0;
        const { channel, group } = this.options;
        const names = namesFor(this.deps.prefix, channel.name);
        if (lease !== undefined) await this.holdLease(ch, lease);
        for (let p = 0; p < channel.partitions; p++) {
          const current = ch;
          await ch.consume(names.queue(group, p), (msg) => this.onMessage(current, p, msg), { noAck: false });
        }
        const subscribed = ch;
        this.probe(subscribed, names);
        const timer = setInterval(() => this.probe(subscribed, names), this.deps.probeIntervalMs);
        const renewal = this.renewExpiry(model);
        const error = await lost.finally(() => {
          clearInterval(timer);
          clearInterval(renewal);
        });
        if (this.closed) break;
        this.ch = undefined;
        this.revokeAll();
        this.emit({ type: 'disconnected', error });
        disconnected = true;
      } catch (error) {
        if (this.closed) break;
        this.ch = undefined;
        await ch?.close().catch(() => {});
        if (unfixable(error)) {
          // A conflicting declaration (another partition count, other queue arguments) or a bad name:
          // retrying cannot fix it, so the application hears it from its loop instead of waiting forever.
          this.revokeAll();
          this.deliveries.fail(error);
          break;
        }
        this.revokeAll();
        if (!disconnected) this.emit({ type: 'disconnected', error });
        disconnected = true;
      }
      // Unacknowledged messages of the lost channel are back in their queues: forget what was buffered.
      this.deliveries.discard();
      await this.sleep(backoff(failures++));
    }
    this.ch = undefined;
  }

  /**
   * Re-declares an expiring channel's queues every third of its idle expiry: the group queues are in
   * use while consumed, but the channel's other queues (unrouted, dead letters, records) are not.
   */
  private renewExpiry(model: ChannelModel): NodeJS.Timeout | undefined {
    const expiryMs = this.options.channel.idleExpiryMs;
    if (expiryMs === undefined) return undefined;
    return setInterval(
      () => void this.deps.prepare(model).catch(() => {}),
      Math.max(1_000, Math.floor(expiryMs / 3)),
    );
  }

  /**
   * Consumes the group's lease queue, to which nothing is ever sent: RabbitMQ keeps an expiring group
   * while any member does. Deleted (`deleteGroup`, or a lapse during a long disconnection), it cancels
   * this consumer: resubscribe, which declares the group again.
   */
  private async holdLease(ch: Channel, queue: string): Promise<void> {
    await ch.consume(
      queue,
      (msg) => {
        if (msg === null) void ch.close().catch(() => {});
      },
      { noAck: true },
    );
  }

  /** Sends a probe to each partition queue this member does not own (see `probeHeader`). */
  private probe(ch: Channel, names: ReturnType<typeof namesFor>): void {
    if (this.closed || ch !== this.ch) return;
    try {
      for (let p = 0; p < this.options.channel.partitions; p++)
        if (!this.owned.has(p))
          ch.sendToQueue(names.queue(this.options.group, p), Buffer.alloc(0), {
            headers: { [probeHeader]: this.options.member },
          });
    } catch {
      // The channel is closing: the run loop resubscribes and probes again.
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private onMessage(ch: Channel, partition: number, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer (queue deleted): resubscribe, which re-declares it.
      void ch.close().catch(() => {});
      return;
    }
    if (this.closed || ch !== this.ch) return;
    const probe = isProbe(msg);
    if (probe) ch.ack(msg);
    if (!this.owned.has(partition)) {
      // Single active consumer sends no notice of activation: the first delivery is the notice.
      this.owned.add(partition);
      this.emit({ type: 'assigned', partitions: [partition] });
    }
    if (!probe) this.deliveries.push(this.delivery(ch, partition, msg));
  }

  private delivery(ch: Channel, partition: number, msg: ConsumeMessage): Delivery {
    const count: unknown = msg.properties.headers?.['x-delivery-count'];
    const deliveryCount = typeof count === 'number' ? count + 1 : msg.fields.redelivered ? 2 : 1;
    let settled = false;
    // An ack or nak on a channel that is gone cannot reach the broker; the message comes again.
    const live = () => !settled && !this.closed && ch === this.ch;
    return {
      channel: this.options.channel.name,
      partition,
      id: (msg.properties.messageId as string | undefined) ?? '',
      headers: applicationHeaders(msg),
      body: bodyOf(msg),
      deliveryCount,
      ack: async () => {
        if (!live()) return;
        settled = true;
        ch.ack(msg);
      },
      nak: async (delayMs = 0) => {
        if (!live()) return;
        settled = true;
        // The message stays unacknowledged while we wait, so the partition waits with it.
        if (delayMs > 0) await this.delay(delayMs);
        if (!this.closed && ch === this.ch) ch.nack(msg, false, true);
      },
    };
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = { timer: setTimeout(() => (this.timers.delete(entry), resolve()), ms), resolve };
      this.timers.add(entry);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return this.running;
    this.closed = true;
    for (const entry of this.timers) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    this.timers.clear();
    this.wake?.();
    const ch = this.ch;
    this.ch = undefined;
    // Closing the channel hands every partition (and its unacknowledged message) to the next member.
    await ch?.close().catch(() => {});
    this.deliveries.discard();
    const handedOver = [...this.owned];
    this.revokeAll();
    if (handedOver.length > 0) await this.handOver(handedOver).catch(() => {});
    this.deliveries.end();
    await this.running;
  }

  /** Probes the partitions just given up, so the member RabbitMQ activates next learns it at once. */
  private async handOver(partitions: number[]): Promise<void> {
    if (this.deps.link.isClosed) return;
    const model = await this.deps.link.get();
    const ch = await model.createChannel();
    ch.on('error', () => {});
    const names = namesFor(this.deps.prefix, this.options.channel.name);
    for (const p of partitions)
      ch.sendToQueue(names.queue(this.options.group, p), Buffer.alloc(0), {
        headers: { [probeHeader]: this.options.member },
      });
    await ch.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    return this.deliveries[Symbol.asyncIterator]();
  }
}
