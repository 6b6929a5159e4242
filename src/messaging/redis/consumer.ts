import type { Redis } from 'ioredis';
import type { Consumer, ConsumerEvent, ConsumerOptions, Delivery } from '../adapter.js';
import { murmur3 } from '../partition.js';
import { acquire, heartbeat, leave, release, renew, shareOf } from './leases.js';
import { backoff, connect, replyCode } from './link.js';
import { fields } from './publisher.js';
import { keysFor, type Keys } from './topology.js';

export interface ConsumerDeps {
  /** The adapter's shared command connection (leases, XACK, XAUTOCLAIM). */
  readonly command: () => Promise<Redis>;
  readonly url: string;
  readonly prefix: string;
  readonly leaseMs: number;
  /** Creates the channel and the group (idempotent) before the first read and after NOGROUP. */
  readonly prepare: (redis: Redis) => Promise<void>;
}

interface Slot {
  readonly p: number;
  readonly stream: string;
  owned: boolean;
  /** Local bound of the lease: never read the partition past it. */
  leaseUntil: number;
  /** Handed out and not yet acked / nak'ed (a nak's delay counts as in flight). */
  inFlight: boolean;
  /** Pending entries (ours after a lost read or a nak, or the previous owner's) come before new ones. */
  recover: boolean;
  /** Part of the outstanding XREADGROUP. */
  reading: boolean;
  /** Over this member's share: read nothing more, release once idle. */
  releasing: boolean;
}

type RawEntry = [Buffer, Buffer[] | null];

/**
 * One member of a group. Partition ownership is by lease keys; the member's share comes from the
 * group's member registry (`shareOf`). One connection per consumer blocks in one XREADGROUP (COUNT 1 per
 * stream) over every owned partition that has nothing in flight; acks, claims and leases go through
 * the adapter's command connection.
 */
export class RedisConsumer implements Consumer {
  private readonly buffer: Delivery[] = [];
  private waiter: ((result: IteratorResult<Delivery>) => void) | undefined;
  private closed = false;
  private readonly slots: Slot[];
  private readonly byStream = new Map<string, Slot>();
  private readonly keys: Keys;
  private readonly registry: { readonly members: string; readonly load: string };
  private readonly tickMs: number;
  private readonly blockMs: number;
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private blocking: Redis | undefined;
  private blockingId: number | undefined;
  private wakeLoop: (() => void) | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private readonly running: Promise<void>;
  private disconnected = false;

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly options: ConsumerOptions,
  ) {
    const n = options.channel.partitions;
    this.keys = keysFor(deps.prefix, options.channel.name);
    this.registry = { members: this.keys.members(options.group), load: this.keys.load(options.group) };
    this.slots = Array.from({ length: n }, (_, p) => ({
      p,
      stream: this.keys.stream(p),
      owned: false,
      leaseUntil: 0,
      inFlight: false,
      recover: false,
      reading: false,
      releasing: false,
    }));
    for (const slot of this.slots) this.byStream.set(slot.stream, slot);
    this.tickMs = Math.max(50, Math.min(deps.leaseMs / 4, 500));
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

  // ---- ownership -------------------------------------------------------------------------------

  private scheduleTick(): void {
    if (this.closed) return;
    this.tickTimer = setTimeout(() => {
      this.ticking = this.tick().finally(() => this.scheduleTick());
    }, this.tickMs);
  }

  /** Heartbeat, renew owned leases, give up the excess, take free partitions up to the share. */
  private async tick(): Promise<void> {
    const { group, member } = this.options;
    const { leaseMs } = this.deps;
    try {
      const redis = await this.deps.command();
      const started = Date.now();
      const membership = await heartbeat(redis, this.registry, member, leaseMs, this.owned().length);
      if (this.closed) return;
      const share = shareOf(this.slots.length, membership);
      const lost: number[] = [];
      await Promise.all(
        this.owned().map(async (slot) => {
          if (await renew(redis, this.keys.lease(group, slot.p), member, leaseMs))
            slot.leaseUntil = started + leaseMs;
          else if (slot.owned) {
            slot.owned = false;
            slot.releasing = false;
            lost.push(slot.p);
          }
        }),
      );
      if (lost.length > 0) this.emit({ type: 'revoked', partitions: lost.sort((a, b) => a - b) });
      await this.shed(redis, share);
      await this.take(redis, share, started);
    } catch {
      // Redis is away: leases run out locally (reads stop at leaseUntil) and are renewed or lost next tick.
    }
  }

  private owned(): Slot[] {
    return this.slots.filter((s) => s.owned);
  }

  private async shed(redis: Redis, share: number): Promise<void> {
    const owned = this.owned();
    let excess = owned.length - share;
    if (excess <= 0) return;
    const released: number[] = [];
    for (const slot of owned.reverse()) {
      if (excess <= 0) break;
      excess--;
      slot.releasing = true;
      if (slot.inFlight || slot.reading) continue; // released by a later tick, once idle
      await release(redis, this.keys.lease(this.options.group, slot.p), this.options.member);
      slot.owned = false;
      slot.releasing = false;
      released.push(slot.p);
    }
    if (released.length > 0) this.emit({ type: 'revoked', partitions: released.sort((a, b) => a - b) });
  }

  private async take(redis: Redis, share: number, started: number): Promise<void> {
    let missing = share - this.owned().length;
    if (missing <= 0) return;
    const n = this.slots.length;
    const offset = murmur3(Buffer.from(this.options.member, 'utf8')) % n;
    const taken: number[] = [];
    for (let i = 0; i < n && missing > 0 && !this.closed; i++) {
      const slot = this.slots[(offset + i) % n]!;
      // A partition whose message is still in this process's hands is not taken back before it settles.
      if (slot.owned || slot.inFlight) continue;
      if (
        !(await acquire(
          redis,
          this.keys.lease(this.options.group, slot.p),
          this.options.member,
          this.deps.leaseMs,
        ))
      )
        continue;
      if (this.closed) {
        await release(redis, this.keys.lease(this.options.group, slot.p), this.options.member);
        break;
      }
      slot.owned = true;
      slot.releasing = false;
      slot.recover = true; // the previous owner's unacknowledged message comes first
      slot.leaseUntil = started + this.deps.leaseMs;
      taken.push(slot.p);
      missing--;
    }
    if (taken.length > 0) {
      this.emit({ type: 'assigned', partitions: taken.sort((a, b) => a - b) });
      this.wake();
    }
  }

  // ---- reading ---------------------------------------------------------------------------------

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
        const ready = this.slots.filter((s) => !s.recover && this.readable(s));
        if (this.closed) break;
        if (ready.length === 0) await this.idle(this.tickMs);
        else await this.read(ready);
        failures = 0;
      } catch (error) {
        if (this.closed) break;
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
        1,
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
      const entry = entries[0];
      if (!slot || !entry) continue;
      if (!slot.owned || this.closed) {
        // Lost while blocked: leave it pending for whoever owns the partition next.
        slot.recover = true;
        continue;
      }
      this.deliver(slot, entry, 1);
    }
  }

  /** Claims the partition's oldest pending entry (from any member) and delivers it, or clears `recover`. */
  private async recover(redis: Redis, slot: Slot): Promise<void> {
    const { group, member } = this.options;
    let start = '0-0';
    for (;;) {
      const reply = (await redis.callBuffer(
        'XAUTOCLAIM',
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
        this.deliver(slot, entry, Math.max(2, Number(pending[0]?.[3] ?? 2)));
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

  private deliver(slot: Slot, [entryId, raw]: RawEntry, deliveryCount: number): void {
    const values = new Map<string, Buffer>();
    for (let i = 0; raw && i + 1 < raw.length; i += 2) values.set(raw[i]!.toString(), raw[i + 1]!);
    let headers: Record<string, string> = {};
    try {
      headers = JSON.parse(values.get(fields.headers)?.toString() ?? '{}') as Record<string, string>;
    } catch {
      // Not written by Switchyard: delivered with no headers rather than lost.
    }
    const body = values.get(fields.body) ?? Buffer.alloc(0);
    const id = entryId.toString();
    slot.inFlight = true;
    slot.recover = false;
    let settled = false;
    const done = (redeliver: boolean) => {
      if (redeliver) slot.recover = true;
      slot.inFlight = false;
      this.wake();
    };
    this.push({
      channel: this.options.channel.name,
      partition: slot.p,
      id: values.get(fields.id)?.toString() ?? id,
      headers,
      body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      deliveryCount,
      ack: async () => {
        if (settled) return;
        settled = true;
        let failed = false;
        try {
          const redis = await this.deps.command();
          await redis.xack(slot.stream, this.options.group, id);
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

  /** Something became readable: end the idle wait, or cut the blocking read short to include it. */
  private wake(): void {
    if (this.wakeLoop) return this.wakeLoop();
    if (this.blockingId !== undefined && this.slots.some((s) => s.reading))
      void this.deps
        .command()
        .then((redis) => redis.client('UNBLOCK', this.blockingId!))
        .catch(() => {});
  }

  private push(delivery: Delivery): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter({ value: delivery, done: false });
    } else this.buffer.push(delivery);
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
    const mine = this.owned();
    for (const slot of mine) slot.owned = false;
    try {
      const redis = await this.deps.command();
      // Unacknowledged entries stay pending: the next owner claims them with a higher delivery count.
      await Promise.all(
        mine.map((s) => release(redis, this.keys.lease(this.options.group, s.p), this.options.member)),
      );
      await leave(redis, this.registry, this.options.member);
    } catch {
      // Redis is away: the leases and the heartbeat run out by themselves.
    }
    this.blocking?.disconnect();
    this.blocking = undefined;
    this.buffer.length = 0;
    if (mine.length > 0) this.emit({ type: 'revoked', partitions: mine.map((s) => s.p) });
    this.waiter?.({ value: undefined, done: true });
    this.waiter = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    return {
      next: () => {
        const next = this.buffer.shift();
        if (next) return Promise.resolve({ value: next, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiter = resolve));
      },
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }
}
