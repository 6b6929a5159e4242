import type { Redis } from 'ioredis';
import type { Consumer, ConsumerEvent, ConsumerOptions, Delivery } from '../adapter.js';
import { DeliveryQueue } from '../delivery-queue.js';
import { unfixable } from '../adapter-errors.js';
import { isAfter, parseEntry, type RawEntry } from './entry.js';
import { backoff, connect, replyCode } from './link.js';
import { heartbeatMs, Ownership, slotsFor, type Slot } from './ownership.js';
import { keysFor } from './topology.js';

export interface ConsumerDeps {
  /** The adapter's shared command connection (leases, XACK, XAUTOCLAIM). */
  readonly command: () => Promise<Redis>;
  readonly url: string;
  readonly prefix: string;
  readonly leaseMs: number;
  /** Creates the channel and the group (idempotent) before the first read and after NOGROUP. */
  readonly prepare: (redis: Redis) => Promise<void>;
}

/** Entries read at once from each partition stream, handed out one at a time. */
const readAhead = 32;

/**
 * One member of a group. Partition ownership is by lease keys; the member's share comes from the
 * group's member registry (`shareOf`). One connection per consumer blocks in one XREADGROUP over every
 * owned partition that has nothing in flight, reading up to `readAhead` entries of each; a partition
 * hands them out one at a time, the next once the one before is acked, so per-key order holds and a
 * busy partition needs a read per `readAhead` messages instead of one per message. Entries read ahead
 * are pending in the group like the one in flight: a nak, a failed ack or a lost partition leaves them
 * there, and whoever reads the partition next claims them oldest first. Acks, claims and leases go
 * through the adapter's command connection.
 */
export class RedisConsumer implements Consumer {
  private readonly deliveries = new DeliveryQueue<Delivery>(() => this.close());
  private closed = false;
  private readonly ownership: Ownership;
  private readonly slots: readonly Slot[];
  private readonly byStream = new Map<string, Slot>();
  private readonly tickMs: number;
  private readonly blockMs: number;
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private blocking: Redis | undefined;
  private blockingId: number | undefined;
  private wakeLoop: (() => void) | undefined;
  private unblocking = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private readonly running: Promise<void>;
  private disconnected = false;

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly options: ConsumerOptions,
  ) {
    const keys = keysFor(deps.prefix, options.channel.name);
    this.ownership = new Ownership(
      {
        command: deps.command,
        keys,
        group: options.group,
        member: options.member,
        leaseMs: deps.leaseMs,
        closed: () => this.closed,
        emit: (event) => this.emit(event),
        taken: () => this.wake(),
      },
      slotsFor(keys, options.channel.partitions),
    );
    this.slots = this.ownership.slots;
    for (const slot of this.slots) this.byStream.set(slot.stream, slot);
    this.tickMs = heartbeatMs(deps.leaseMs);
    this.blockMs = Math.max(20, Math.min(deps.leaseMs / 5, 1_000));
    this.running = this.run();
  }

  private emit(event: ConsumerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's failure must not stop consumption.
    }
  }

  private scheduleTick(): void {
    if (this.closed) return;
    this.tickTimer = setTimeout(() => {
      this.ticking = this.ownership.tick().finally(() => this.scheduleTick());
    }, this.tickMs);
  }

  /** Owned, not in flight, and the lease outlives the next blocking read. */
  private readable(slot: Slot): boolean {
    return (
      slot.owned && !slot.releasing && !slot.inFlight && Date.now() + this.blockMs + 100 < slot.leaseUntil
    );
  }

  private async run(): Promise<void> {
    let failures = 0;
    let prepared = false;
    this.scheduleTick();
    while (!this.closed) {
      try {
        const redis = await this.deps.command();
        if (!prepared) {
          await this.deps.prepare(redis);
          prepared = true;
        }
        for (const slot of this.slots)
          if (slot.recover && this.readable(slot) && !this.closed) await this.recover(redis, slot);
        const ready = this.slots.filter((s) => !s.recover && s.buffered.length === 0 && this.readable(s));
        if (this.closed) break;
        if (ready.length === 0) await this.idle(this.tickMs);
        else await this.read(ready);
        failures = 0;
      } catch (error) {
        if (this.closed) break;
        if (unfixable(error)) {
          // A conflicting declaration (another partition count) or a bad name: retrying cannot fix it,
          // so the application hears it from its loop instead of waiting forever.
          this.deliveries.fail(error);
          break;
        }
        for (const slot of this.slots) {
          slot.reading = false;
          // A read lost on the wire may have given us an entry: find it among our pending ones.
          if (slot.owned) slot.recover = true;
        }
        if (replyCode(error) === 'NOGROUP') prepared = false;
        await this.idle(backoff(failures++));
      }
    }
  }

  private async connection(): Promise<Redis> {
    if (!this.blocking) {
      const blocking = await connect({
        url: this.deps.url,
        name: `switchyard:${this.options.group}:${this.options.member}`.replace(/\s/g, '_'),
        blocking: true,
      });
      let ready = false;
      blocking.on('ready', () => {
        this.blockingId = undefined;
        if (ready && this.disconnected && !this.closed) {
          this.disconnected = false;
          for (const slot of this.slots) if (slot.owned) slot.recover = true;
          this.emit({ type: 'reconnected' });
        }
        ready = true;
      });
      blocking.on('close', () => {
        if (ready && !this.disconnected && !this.closed) {
          this.disconnected = true;
          this.emit({ type: 'disconnected', error: new Error('Redis connection closed') });
        }
      });
      this.blocking = blocking;
      if (this.closed) blocking.disconnect();
    }
    return this.blocking;
  }

  private async read(ready: Slot[]): Promise<void> {
    const blocking = await this.connection();
    this.blockingId ??= Number(await blocking.client('ID'));
    if (this.closed) return;
    const { group, member } = this.options;
    for (const slot of ready) slot.reading = true;
    let reply: unknown;
    try {
      reply = await blocking.callBuffer(
        'XREADGROUP',
        'GROUP',
        group,
        member,
        'COUNT',
        readAhead,
        'BLOCK',
        this.blockMs,
        'STREAMS',
        ...ready.map((s) => s.stream),
        ...ready.map(() => '>'),
      );
    } finally {
      for (const slot of ready) slot.reading = false;
    }
    if (!Array.isArray(reply)) return;
    for (const [key, entries] of reply as [Buffer, RawEntry[]][]) {
      const slot = this.byStream.get(key.toString());
      const [entry, ...rest] = entries;
      if (!slot || !entry) continue;
      if (!slot.owned || this.closed) {
        // Lost while blocked: leave them pending for whoever owns the partition next.
        slot.recover = true;
        continue;
      }
      slot.buffered = rest;
      this.deliver(slot, entry, 1);
    }
  }

  /** Claims the partition's oldest pending entry (from any member) and delivers it, or clears `recover`. */
  private async recover(redis: Redis, slot: Slot): Promise<void> {
    const { group, member } = this.options;
    let start = '0-0';
    for (;;) {
      // The Buffer variant exists at run time but ioredis's typings lack it; bodies are bytes.
      const reply = (await (redis as unknown as BufferCommands).xautoclaimBuffer(
        slot.stream,
        group,
        member,
        0,
        start,
        'COUNT',
        1,
      )) as [Buffer, RawEntry[], Buffer[]?];
      const entry = reply[1][0];
      if (entry && entry[1] !== null) {
        const pending = (await redis.call('XPENDING', slot.stream, group, entry[0], entry[0], 1)) as [
          string,
          string,
          number,
          number,
        ][];
        const entryId = entry[0].toString();
        // Trimmed from under a nak, the next one claimed may be one we still hold as read ahead.
        while (slot.buffered[0] && !isAfter(slot.buffered[0][0].toString(), entryId)) slot.buffered.shift();
        this.deliver(slot, entry, Math.max(2, Number(pending[0]?.[3] ?? 2)), true);
        return;
      }
      // Entries trimmed away by retention are dropped from the pending list by XAUTOCLAIM itself.
      start = reply[0].toString();
      if (start === '0-0') {
        slot.recover = false;
        return;
      }
    }
  }

  private deliver(slot: Slot, raw: RawEntry, deliveryCount: number, claimed = false): void {
    const { entryId, id, headers, body } = parseEntry(raw);
    slot.inFlight = true;
    slot.recover = false;
    let settled = false;
    const done = (redeliver: boolean) => {
      slot.inFlight = false;
      // The read-ahead entries wait behind a redelivery: it is claimed (the oldest pending), then they follow.
      const next = redeliver ? undefined : slot.buffered.shift();
      if (next && this.keeps(slot)) return this.deliver(slot, next, 1);
      if (next) {
        // Left pending: whoever reads the partition next claims them, oldest first.
        slot.buffered = [];
        slot.recover = true;
      }
      // After a claimed one, more of a previous owner's may be pending: claim until none is left.
      if (redeliver || claimed) slot.recover = true;
      this.wake();
    };
    this.deliveries.push({
      channel: this.options.channel.name,
      partition: slot.p,
      id,
      headers,
      body,
      deliveryCount,
      ack: async () => {
        if (settled) return;
        settled = true;
        let failed = false;
        try {
          const redis = await this.deps.command();
          await redis.xack(slot.stream, this.options.group, entryId);
        } catch {
          failed = true; // still pending: it comes again (at least once)
        }
        done(failed);
      },
      nak: async (delayMs = 0) => {
        if (settled) return;
        settled = true;
        // The entry stays pending while we wait, so the partition waits with it.
        if (delayMs > 0 && !this.closed)
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => (this.timers.delete(timer), resolve()), delayMs);
            this.timers.set(timer, resolve);
          });
        done(true);
      },
    });
  }

  /** Still this member's to hand out: owned, not being given back, within its lease. */
  private keeps(slot: Slot): boolean {
    return slot.owned && !slot.releasing && !this.closed && Date.now() < slot.leaseUntil;
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeLoop = undefined;
        resolve();
      }, ms);
      this.wakeLoop = () => {
        this.wakeLoop = undefined;
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * Something became readable: end the idle wait, or cut the blocking read short to include it. The
   * partitions settled in one turn share one CLIENT UNBLOCK.
   */
  private wake(): void {
    if (this.wakeLoop) return this.wakeLoop();
    if (this.unblocking) return;
    this.unblocking = true;
    setImmediate(() => {
      this.unblocking = false;
      if (this.wakeLoop) return this.wakeLoop();
      if (this.blockingId === undefined || !this.slots.some((s) => s.reading)) return;
      const id = this.blockingId;
      void this.deps
        .command()
        .then((redis) => redis.client('UNBLOCK', id))
        .catch(() => {});
    });
  }

  async close(): Promise<void> {
    if (this.closed) return this.running;
    this.closed = true;
    clearTimeout(this.tickTimer);
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve();
    }
    this.timers.clear();
    this.wake();
    await this.running;
    await this.ticking;
    const given = await this.ownership.relinquish();
    this.blocking?.disconnect();
    this.blocking = undefined;
    if (given.length > 0) this.emit({ type: 'revoked', partitions: given });
    this.deliveries.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    return this.deliveries[Symbol.asyncIterator]();
  }
}

/** Commands ioredis has at run time without typings for them. */
interface BufferCommands {
  xautoclaimBuffer(...args: (string | number)[]): Promise<unknown>;
}
