import type { EventEmitter } from 'node:events';
import type Database from 'better-sqlite3';
import type { Consumer, ConsumerEvent, ConsumerOptions, Delivery } from '../adapter.js';
import { DeliveryQueue } from '../delivery-queue.js';
import type { Db } from './store.js';

export interface ConsumerContext {
  readonly db: Db;
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
  private pollMs = minPollMs;
  private readonly channel: string;
  private readonly group: string;
  private readonly member: string;
  private readonly partitions: number;
  private readonly stmts: ReturnType<typeof prepare>;
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
    this.stmts = prepare(ctx.db);
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
      if (this.disconnected) {
        this.disconnected = false;
        this.emit({ type: 'reconnected' });
      }
      return result;
    } catch (error) {
      if (!this.disconnected) {
        this.disconnected = true;
        this.emit({ type: 'disconnected', error });
      }
      return undefined;
    }
  }

  private tick() {
    if (this.closed) return;
    const now = Date.now();
    const held = this.guard(() =>
      this.ctx.db
        .transaction(() => {
          const { channel, group, member } = this;
          const expires = now + this.ctx.leaseMs;
          this.stmts.heartbeat.run(channel, group, member, expires);
          this.stmts.dropDeadMembers.run(channel, group, now);
          this.stmts.renew.run(expires, channel, group, member);
          const live = Math.max(1, (this.stmts.liveMembers.pluck().get(channel, group, now) as number) ?? 1);
          const quota = Math.ceil(this.partitions / live);
          const mine = this.stmts.mine.pluck().all(channel, group, member) as number[];
          if (mine.length > quota) {
            // Give up extras that have nothing in flight, highest first; the rest on a later beat.
            const extras = mine.filter((p) => !this.inFlight.has(p)).reverse();
            for (const p of extras.slice(0, mine.length - quota))
              this.stmts.release.run(channel, group, p, member);
          } else if (mine.length < quota) {
            const taken = new Set(this.stmts.taken.pluck().all(channel, group, now) as number[]);
            let want = quota - mine.length;
            for (let p = 0; p < this.partitions && want > 0; p++) {
              if (taken.has(p)) continue;
              if (this.stmts.claim.run(channel, group, p, member, expires, now).changes > 0) want--;
            }
          }
          return this.stmts.mine.pluck().all(channel, group, member) as number[];
        })
        .immediate(),
    );
    if (held === undefined || this.closed) return;
    this.apply(new Set(held));
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
    if (revoked.length) this.emit({ type: 'revoked', partitions: revoked });
    if (assigned.length) this.emit({ type: 'assigned', partitions: assigned.sort((a, b) => a - b) });
    if (assigned.length || revoked.length) this.wake(0);
  }

  /** Schedules a fetch in `ms` unless one is due sooner. */
  private wake(ms: number) {
    if (this.closed) return;
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
    const free = [...this.owned].filter((p) => !this.inFlight.has(p));
    let nextDue = Infinity;
    const lost: number[] = [];
    const got = free.length
      ? this.guard(() =>
          this.ctx.db
            .transaction(() => {
              const now = Date.now();
              const out: { partition: number; row: Row; count: number }[] = [];
              for (const p of free) {
                const { channel, group, member } = this;
                if (this.stmts.leaseOwner.pluck().get(channel, group, p) !== member) {
                  lost.push(p);
                  continue;
                }
                let off = this.stmts.offset.get(channel, group, p) as OffsetRow | undefined;
                if (!off) {
                  this.stmts.newOffset.run(channel, group, p);
                  off = { acked: 0, pending_seq: null, deliveries: 0, not_before: 0 };
                }
                if (off.not_before > now) {
                  nextDue = Math.min(nextDue, off.not_before);
                  continue;
                }
                const row = this.stmts.next.get(channel, p, off.acked) as Row | undefined;
                if (!row) continue;
                const count = (off.pending_seq === row.seq ? off.deliveries : 0) + 1;
                this.stmts.deliver.run(row.seq, count, channel, group, p);
                out.push({ partition: p, row, count });
              }
              return out;
            })
            .immediate(),
        )
      : [];
    if (this.closed) return;
    if (lost.length) this.apply(new Set([...this.owned].filter((p) => !lost.includes(p))));
    for (const { partition, row, count } of got ?? []) {
      this.inFlight.set(partition, row.seq);
      this.deliveries.push(this.delivery(partition, row, count));
    }
    // Adaptive polling for messages from other processes; the bus wakes us at once for our own.
    this.pollMs = got?.length ? minPollMs : Math.min(maxPollMs, this.pollMs * 2);
    const dueIn = nextDue === Infinity ? Infinity : Math.max(0, nextDue - Date.now());
    if (this.owned.size > 0) this.wake(Math.min(this.pollMs, dueIn));
  }

  private delivery(partition: number, row: Row, deliveryCount: number): Delivery {
    let settled = false;
    const settle = (run: () => void, delayMs: number) => {
      if (settled) return Promise.resolve();
      settled = true;
      this.guard(run);
      if (this.inFlight.get(partition) === row.seq) {
        this.inFlight.delete(partition);
        this.wake(delayMs);
      }
      return Promise.resolve();
    };
    const { channel, group, member } = this;
    return {
      channel,
      partition,
      id: row.id,
      headers: JSON.parse(row.headers) as Record<string, string>,
      body: new Uint8Array(row.body.buffer, row.body.byteOffset, row.body.byteLength),
      deliveryCount,
      // Both are no-ops when the partition has moved to another member: it delivers the message again.
      ack: () => settle(() => this.stmts.ack.run(row.seq, channel, group, partition, row.seq, member), 0),
      nak: (delayMs = 0) =>
        settle(
          () => this.stmts.nak.run(Date.now() + delayMs, channel, group, partition, row.seq, member),
          delayMs,
        ),
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
    clearTimeout(this.fetchTimer);
    this.ctx.bus.off(`publish:${this.channel}`, this.onPublish);
    this.ctx.bus.off(this.membersEvent, this.onMembers);
    this.deliveries.discard();
    this.guard(() =>
      this.ctx.db
        .transaction(() => {
          this.stmts.releaseAll.run(this.channel, this.group, this.member);
          this.stmts.leave.run(this.channel, this.group, this.member);
        })
        .immediate(),
    );
    const revoked = [...this.owned];
    this.owned.clear();
    this.inFlight.clear();
    if (revoked.length) this.emit({ type: 'revoked', partitions: revoked });
    this.ctx.bus.emit(this.membersEvent);
    this.deliveries.end();
  }
}

function prepare(db: Db) {
  const s = (sql: string): Database.Statement => db.prepare(sql);
  return {
    heartbeat: s(`INSERT INTO sy_members (channel, grp, member, expires_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (channel, grp, member) DO UPDATE SET expires_at = excluded.expires_at`),
    dropDeadMembers: s(`DELETE FROM sy_members WHERE channel = ? AND grp = ? AND expires_at < ?`),
    liveMembers: s(`SELECT count(*) FROM sy_members WHERE channel = ? AND grp = ? AND expires_at >= ?`),
    leave: s(`DELETE FROM sy_members WHERE channel = ? AND grp = ? AND member = ?`),
    renew: s(`UPDATE sy_leases SET expires_at = ? WHERE channel = ? AND grp = ? AND member = ?`),
    mine: s(
      `SELECT partition FROM sy_leases WHERE channel = ? AND grp = ? AND member = ? ORDER BY partition`,
    ),
    taken: s(`SELECT partition FROM sy_leases WHERE channel = ? AND grp = ? AND expires_at >= ?`),
    claim: s(`INSERT INTO sy_leases (channel, grp, partition, member, expires_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (channel, grp, partition) DO UPDATE SET member = excluded.member, expires_at = excluded.expires_at
      WHERE sy_leases.expires_at < ?`),
    release: s(`DELETE FROM sy_leases WHERE channel = ? AND grp = ? AND partition = ? AND member = ?`),
    releaseAll: s(`DELETE FROM sy_leases WHERE channel = ? AND grp = ? AND member = ?`),
    leaseOwner: s(`SELECT member FROM sy_leases WHERE channel = ? AND grp = ? AND partition = ?`),
    offset: s(`SELECT acked, pending_seq, deliveries, not_before FROM sy_offsets
      WHERE channel = ? AND grp = ? AND partition = ?`),
    newOffset: s(`INSERT OR IGNORE INTO sy_offsets (channel, grp, partition) VALUES (?, ?, ?)`),
    next: s(`SELECT seq, id, headers, body FROM sy_messages
      WHERE channel = ? AND partition = ? AND seq > ? ORDER BY seq LIMIT 1`),
    deliver: s(`UPDATE sy_offsets SET pending_seq = ?, deliveries = ?, not_before = 0
      WHERE channel = ? AND grp = ? AND partition = ?`),
    ack: s(`UPDATE sy_offsets SET acked = ?, pending_seq = NULL, deliveries = 0, not_before = 0
      WHERE channel = ? AND grp = ? AND partition = ? AND pending_seq = ?
        AND EXISTS (SELECT 1 FROM sy_leases l WHERE l.channel = sy_offsets.channel AND l.grp = sy_offsets.grp
                    AND l.partition = sy_offsets.partition AND l.member = ?)`),
    nak: s(`UPDATE sy_offsets SET not_before = ?
      WHERE channel = ? AND grp = ? AND partition = ? AND pending_seq = ?
        AND EXISTS (SELECT 1 FROM sy_leases l WHERE l.channel = sy_offsets.channel AND l.grp = sy_offsets.grp
                    AND l.partition = sy_offsets.partition AND l.member = ?)`),
  };
}
