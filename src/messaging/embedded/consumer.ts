import type { EventEmitter } from 'node:events';
import type Database from 'better-sqlite3';
import type { Consumer, ConsumerEvent, ConsumerOptions, Delivery } from '../adapter.js';
import { DeliveryQueue } from '../delivery-queue.js';
import { busyTimeoutMs, isBusy, LockBackoff } from '../../internal/sqlite-lock.js';
import type { Db } from './store.js';
import { newOffsetOf, prepare } from './statements.js';

export interface ConsumerContext {
  readonly db: Db;
  /** The connection fetches run on: it fails at once with SQLITE_BUSY rather than wait for the lock. */
  readonly fetchDb: Db;
  readonly bus: EventEmitter;
  readonly leaseMs: number;
  /** Creates the channel if missing; throws FAILED_PRECONDITION on a different partition count. */
  ensureChannel(): void;
}

const minPollMs = 5;
const maxPollMs = 50;

interface Row {
  seq: number;
  id: string;
  headers: string;
  body: Buffer;
}

interface Settle {
  readonly partition: number;
  readonly seq: number;
  /** A nak: the message comes again from then on (epoch ms). Absent: an ack. */
  readonly nakUntil?: number;
  readonly resolve: () => void;
}

interface FetchResult {
  readonly out: { partition: number; row: Row; count: number }[];
  /** Free partitions whose lease has gone to another member. */
  readonly lost: number[];
  /** When the earliest nak'ed message of a free partition is due again. */
  nextDue: number;
}

interface OffsetRow {
  acked: number;
  pending_seq: number | null;
  deliveries: number;
  not_before: number;
}

/**
 * One member of a group. A heartbeat every `leaseMs / 3` renews its member row and its partition
 * leases, drops dead members, and rebalances: with `n` live members it holds at most
 * `ceil(partitions / n)` partitions, giving up extras (that have nothing in flight) and claiming free
 * or expired ones up to that quota. Each owned partition has at most one delivery out; the next
 * message is read after the acknowledged offset. New messages are noticed through the in-process bus
 * at once, and by polling (5 ms doubling to 50 ms while idle) when published by another process.
 */
export class EmbeddedConsumer implements Consumer {
  private readonly owned = new Set<number>();
  /** Partitions with a delivery out (queued or handed to the iterator) and not yet settled. */
  private readonly inFlight = new Map<number, number>();
  private readonly deliveries = new DeliveryQueue<Delivery>(() => this.close());
  private closed = false;
  private disconnected = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private fetchTimer: NodeJS.Timeout | undefined;
  private fetchAt = Infinity;
  private fetchSoon: NodeJS.Immediate | undefined;
  /**
   * Offsets of owned partitions as this member last read or wrote them. Only the lease holder writes a
   * partition's offset, so they are trusted until this member's lease could have lapsed.
   */
  private readonly offsets = new Map<number, OffsetRow>();
  private leaseSureUntil = 0;
  /** Set once a fetch's transaction began its work: a rollback after that leaves `offsets` unsure. */
  private fetchStarted = false;
  /** Fetches and heartbeats that found the write lock taken wait on timers, the event loop free. */
  private readonly fetchLock = new LockBackoff();
  private readonly tickLock = new LockBackoff();
  private tickRetry: NodeJS.Timeout | undefined;
  /** Acks and naks waiting for the next fetch, which writes them in its own transaction. */
  private settles: Settle[] = [];
  private pollMs = minPollMs;
  private readonly channel: string;
  private readonly group: string;
  private readonly member: string;
  private readonly partitions: number;
  /** The channel has an idle expiry, which every heartbeat puts off. */
  private readonly expires: boolean;
  /** The group may have an idle expiry (if this consumer created it), which every heartbeat puts off. */
  private readonly groupExpires: boolean;
  private readonly stmts: ReturnType<typeof prepare>;
  /** The same statements on `fetchDb`, for fetches. */
  private readonly fetchStmts: ReturnType<typeof prepare>;
  private readonly fetchTransaction: Database.Transaction<EmbeddedConsumer['fetchIn']>;
  private readonly onPublish = () => this.wake(0);
  private readonly onMembers = () => setImmediate(() => this.tick());

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly options: ConsumerOptions,
  ) {
    this.channel = options.channel.name;
    this.group = options.group;
    this.member = options.member;
    this.partitions = options.channel.partitions;
    this.expires = options.channel.idleExpiryMs !== undefined;
    this.groupExpires = options.idleExpiryMs !== undefined;
    this.stmts = prepare(ctx.db);
    this.fetchStmts = prepare(ctx.fetchDb);
    this.fetchTransaction = ctx.fetchDb.transaction(this.fetchIn.bind(this));
    try {
      ctx.ensureChannel();
    } catch (error) {
      this.deliveries.fail(error);
      this.closed = true;
      return;
    }
    ctx.bus.on(`publish:${this.channel}`, this.onPublish);
    ctx.bus.on(this.membersEvent, this.onMembers);
    this.heartbeat = setInterval(() => this.tick(), Math.max(10, Math.floor(ctx.leaseMs / 3)));
    this.tick();
    ctx.bus.emit(this.membersEvent);
  }

  private get membersEvent() {
    return `members:${this.channel}\0${this.group}`;
  }

  private emit(event: ConsumerEvent) {
    try {
      this.options.onEvent?.(event);
    } catch {
      // a listener's failure is not the consumer's
    }
  }

  /** Runs a database step; reports `disconnected` / `reconnected` instead of throwing. */
  private guard<T>(step: () => T): T | undefined {
    try {
      const result = step();
      this.reachedFile();
      return result;
    } catch (error) {
      this.lostFile(error);
      return undefined;
    }
  }

  private reachedFile() {
    if (!this.disconnected) return;
    this.disconnected = false;
    this.emit({ type: 'reconnected' });
  }

  private lostFile(error: unknown) {
    if (this.disconnected) return;
    this.disconnected = true;
    this.emit({ type: 'disconnected', error });
  }

  /**
   * A heartbeat: renews this member, its leases, and the channel's and group's idle expiry, and takes or
   * gives up partitions towards its share. On the connection that never waits for the write lock: a beat
   * that finds it taken goes again on a timer (see `retryTick`).
   */
  private tick() {
    if (this.closed) return;
    clearTimeout(this.tickRetry);
    this.tickRetry = undefined;
    const now = Date.now();
    let held: number[];
    try {
      held = this.ctx.fetchDb
        .transaction(() => {
          const { channel, group, member } = this;
          const expires = now + this.ctx.leaseMs;
          this.fetchStmts.heartbeat.run(channel, group, member, expires);
          if (this.expires) this.fetchStmts.used.run(now, channel);
          if (this.groupExpires) this.fetchStmts.groupUsed.run(now, channel, group);
          this.fetchStmts.dropDeadMembers.run(channel, group, now);
          this.fetchStmts.renew.run(expires, channel, group, member);
          const live = Math.max(
            1,
            (this.fetchStmts.liveMembers.pluck().get(channel, group, now) as number) ?? 1,
          );
          const quota = Math.ceil(this.partitions / live);
          const mine = this.fetchStmts.mine.pluck().all(channel, group, member) as number[];
          if (mine.length > quota) {
            // Give up extras that have nothing in flight, highest first; the rest on a later beat.
            const extras = mine.filter((p) => !this.inFlight.has(p)).reverse();
            for (const p of extras.slice(0, mine.length - quota))
              this.fetchStmts.release.run(channel, group, p, member);
          } else if (mine.length < quota) {
            const taken = new Set(this.fetchStmts.taken.pluck().all(channel, group, now) as number[]);
            let want = quota - mine.length;
            for (let p = 0; p < this.partitions && want > 0; p++) {
              if (taken.has(p)) continue;
              if (this.fetchStmts.claim.run(channel, group, p, member, expires, now).changes > 0) want--;
            }
          }
          return this.fetchStmts.mine.pluck().all(channel, group, member) as number[];
        })
        .immediate();
      this.tickLock.reset();
      this.reachedFile();
    } catch (error) {
      if (isBusy(error)) return this.retryTick();
      this.lostFile(error);
      return;
    }
    if (this.closed) return;
    // Every lease this member holds now runs until then: no one else can have written its offsets before.
    this.leaseSureUntil = now + this.ctx.leaseMs;
    this.apply(new Set(held));
  }

  /** The beat found the write lock taken: again soon; the file counts as lost after a while. */
  private retryTick() {
    const { delayMs, lockedMs } = this.tickLock.refused();
    if (lockedMs >= busyTimeoutMs) this.lostFile(lockedFor(lockedMs));
    this.tickRetry = setTimeout(() => this.tick(), delayMs);
  }

  private apply(held: Set<number>) {
    const revoked = [...this.owned].filter((p) => !held.has(p));
    const assigned = [...held].filter((p) => !this.owned.has(p));
    for (const p of revoked) {
      this.owned.delete(p);
      this.inFlight.delete(p);
      // A delivery not yet handed out is dropped: the new owner delivers it again.
      this.deliveries.discard((d) => d.partition === p);
    }
    for (const p of assigned) this.owned.add(p);
    for (const p of [...revoked, ...assigned]) this.offsets.delete(p);
    if (revoked.length) this.emit({ type: 'revoked', partitions: revoked });
    if (assigned.length) this.emit({ type: 'assigned', partitions: assigned.sort((a, b) => a - b) });
    if (assigned.length || revoked.length) this.wake(0);
  }

  /** Schedules a fetch in `ms` unless one is due sooner. */
  private wake(ms: number) {
    if (this.closed) return;
    if (ms <= 0) {
      // setImmediate, not a 0 ms timer: timers are clamped to 1 ms, a ceiling on each partition's rate.
      this.fetchSoon ??= setImmediate(() => {
        this.fetchSoon = undefined;
        this.fetch();
      });
      return;
    }
    const at = Date.now() + ms;
    if (this.fetchTimer && at >= this.fetchAt) return;
    clearTimeout(this.fetchTimer);
    this.fetchAt = at;
    this.fetchTimer = setTimeout(() => {
      this.fetchTimer = undefined;
      this.fetchAt = Infinity;
      this.fetch();
    }, ms);
  }

  private fetch() {
    if (this.closed) return;
    const settles = this.takeSettles();
    const free = [...this.owned].filter((p) => !this.inFlight.has(p));
    const result: FetchResult = { out: [], lost: [], nextDue: Infinity };
    let got: FetchResult | undefined = result;
    this.fetchStarted = false;
    if (settles.length || (free.length && this.mayHaveWork(free, result)))
      try {
        got = this.fetchTransaction.immediate(settles, free, result);
        this.reachedFile();
      } catch (error) {
        if (isBusy(error)) return this.retryBusy(settles);
        this.lostFile(error);
        got = undefined;
      }
    this.fetchLock.reset();
    const { lost, nextDue } = result;
    // Rolled back: what the transaction put in the cache may not be what the file holds.
    if (got === undefined) this.offsets.clear();
    // Written, or lost with the connection (then delivered again): either way the caller may go on.
    for (const settle of settles) settle.resolve();
    if (this.closed) return;
    if (lost.length) this.apply(new Set([...this.owned].filter((p) => !lost.includes(p))));
    for (const { partition, row, count } of got?.out ?? []) {
      this.inFlight.set(partition, row.seq);
      this.deliveries.push(this.delivery(partition, row, count));
    }
    // Adaptive polling for messages from other processes; the bus wakes us at once for our own.
    this.pollMs = got?.out.length ? minPollMs : Math.min(maxPollMs, this.pollMs * 2);
    const dueIn = nextDue === Infinity ? Infinity : Math.max(0, nextDue - Date.now());
    if (this.owned.size > 0) this.wake(Math.min(this.pollMs, dueIn));
  }

  /** Another process holds the write lock: nothing was written; puts the settles back and tries again. */
  private retryBusy(settles: readonly Settle[]) {
    // Refused at BEGIN, as it nearly always is, the fetch changed nothing it cached.
    if (this.fetchStarted) this.offsets.clear();
    for (const { partition, seq } of settles) this.inFlight.set(partition, seq);
    this.settles = [...settles, ...this.settles];
    const { delayMs, lockedMs } = this.fetchLock.refused();
    if (lockedMs >= busyTimeoutMs) this.lostFile(lockedFor(lockedMs));
    this.wake(delayMs);
  }

  /**
   * Whether a poll needs the write lock: false only when every free partition's offset is known (this
   * member's lease still sure) and none has a message after it or a nak'ed one due. A poll that finds
   * nothing then reads without locking: on a log file that every process of a system shares, dozens of
   * idle consumers each taking the lock many times a second kept the busy ones waiting for it, their
   * event loops blocked in SQLite's busy handler. Sets `result.nextDue` for the naks it saw.
   */
  private mayHaveWork(free: readonly number[], result: FetchResult): boolean {
    const now = Date.now();
    if (now >= this.leaseSureUntil) return true;
    try {
      for (const p of free) {
        const off = this.offsets.get(p);
        if (!off) return true;
        if (off.not_before > now) result.nextDue = Math.min(result.nextDue, off.not_before);
        else if (this.fetchStmts.hasNext.get(this.channel, p, off.acked) !== undefined) return true;
      }
      return false;
    } catch {
      return true; // the fetch's transaction finds out, and reports it
    }
  }

  /**
   * In one transaction: writes the settled acks and naks, and hands out the next message of each free
   * partition this member still holds (an ack and the next delivery of a partition are one write).
   */
  private fetchIn(settles: readonly Settle[], free: readonly number[], result: FetchResult): FetchResult {
    this.fetchStarted = true;
    const { channel, group, member } = this;
    const held = new Set(this.fetchStmts.mine.pluck().all(channel, group, member) as number[]);
    if (Date.now() >= this.leaseSureUntil) this.offsets.clear();
    // A settle whose partition moved to another member is dropped: it delivers the message again.
    const acks = new Map<number, number>();
    for (const { partition, seq, nakUntil } of settles) {
      if (!held.has(partition)) continue;
      if (nakUntil !== undefined) {
        this.fetchStmts.nak.run(nakUntil, channel, group, partition, seq);
        this.offsets.delete(partition);
      } else acks.set(partition, seq);
    }
    const now = Date.now();
    for (const p of free) {
      if (!held.has(p)) {
        result.lost.push(p);
        continue;
      }
      let off =
        this.offsets.get(p) ?? (this.fetchStmts.offset.get(channel, group, p) as OffsetRow | undefined);
      if (!off) {
        // Gone while consuming (deleteGroup): declared again where a new group starts.
        this.fetchStmts.newOffset.run(newOffsetOf(channel, group, p, this.options.start));
        off = this.fetchStmts.offset.get(channel, group, p) as OffsetRow;
      }
      const ack = acks.get(p);
      acks.delete(p);
      if (ack !== undefined && off.pending_seq === ack)
        off = { acked: ack, pending_seq: null, deliveries: 0, not_before: 0 };
      let row: Row | undefined;
      if (off.not_before > now) result.nextDue = Math.min(result.nextDue, off.not_before);
      else row = this.fetchStmts.next.get(channel, p, off.acked) as Row | undefined;
      if (row) {
        const count = (off.pending_seq === row.seq ? off.deliveries : 0) + 1;
        this.fetchStmts.deliver.run(off.acked, row.seq, count, channel, group, p);
        off = { acked: off.acked, pending_seq: row.seq, deliveries: count, not_before: 0 };
        result.out.push({ partition: p, row, count });
      } else if (off.acked === ack) {
        this.fetchStmts.ack.run(ack, channel, group, p, ack);
      }
      this.offsets.set(p, off);
    }
    for (const [p, seq] of acks) {
      this.fetchStmts.ack.run(seq, channel, group, p, seq);
      this.offsets.delete(p);
    }
    return result;
  }

  /** Takes the waiting acks and naks and frees their partitions for the fetch that writes them. */
  private takeSettles(): Settle[] {
    const settles = this.settles;
    this.settles = [];
    for (const { partition, seq } of settles)
      if (this.inFlight.get(partition) === seq) this.inFlight.delete(partition);
    return settles;
  }

  private delivery(partition: number, row: Row, deliveryCount: number): Delivery {
    let settled = false;
    const settle = (nakDelayMs?: number) => {
      if (settled) return Promise.resolve();
      settled = true;
      // Closed: the partition is released, and the next owner delivers the message again.
      if (this.closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const nakUntil = nakDelayMs === undefined ? undefined : Date.now() + nakDelayMs;
        this.settles.push({ partition, seq: row.seq, nakUntil, resolve });
        this.wake(0);
      });
    };
    return {
      channel: this.channel,
      partition,
      id: row.id,
      headers: JSON.parse(row.headers) as Record<string, string>,
      body: new Uint8Array(row.body.buffer, row.body.byteOffset, row.body.byteLength),
      deliveryCount,
      // Written by the next fetch, in its transaction; the fetch that writes a nak sees its not_before.
      ack: () => settle(),
      nak: (delayMs = 0) => settle(delayMs),
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    return this.deliveries[Symbol.asyncIterator]();
  }

  async close(): Promise<void> {
    if (this.closed) {
      this.deliveries.end();
      return;
    }
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.tickRetry);
    clearTimeout(this.fetchTimer);
    if (this.fetchSoon) clearImmediate(this.fetchSoon);
    const settles = this.takeSettles();
    this.ctx.bus.off(`publish:${this.channel}`, this.onPublish);
    this.ctx.bus.off(this.membersEvent, this.onMembers);
    this.deliveries.discard();
    this.guard(() =>
      this.ctx.db
        .transaction(() => {
          const held = new Set(
            this.stmts.mine.pluck().all(this.channel, this.group, this.member) as number[],
          );
          for (const { partition, seq, nakUntil } of settles) {
            if (!held.has(partition)) continue;
            if (nakUntil === undefined) this.stmts.ack.run(seq, this.channel, this.group, partition, seq);
            else this.stmts.nak.run(nakUntil, this.channel, this.group, partition, seq);
          }
          this.stmts.releaseAll.run(this.channel, this.group, this.member);
          this.stmts.leave.run(this.channel, this.group, this.member);
        })
        .immediate(),
    );
    const revoked = [...this.owned];
    this.owned.clear();
    this.inFlight.clear();
    if (revoked.length) this.emit({ type: 'revoked', partitions: revoked });
    for (const settle of settles) settle.resolve();
    this.ctx.bus.emit(this.membersEvent);
    this.deliveries.end();
  }
}

/** What a consumer reports (`disconnected`) while the lock stays taken past `busyTimeoutMs`. */
function lockedFor(lockedMs: number): Error {
  return new Error(`The broker file has been locked by another process for ${lockedMs} ms`);
}
