import type { Redis } from 'ioredis';
import type { ConsumerEvent } from '../adapter.js';
import { murmur3 } from '../partition.js';
import { acquire, heartbeat, leave, release, renew, shareOf, type Registry } from './leases.js';
import type { RawEntry } from './entry.js';
import type { Keys } from './topology.js';

/** What a member knows about one partition. */
export interface Slot {
  readonly p: number;
  readonly stream: string;
  owned: boolean;
  /** Local bound of the lease: never read the partition past it. */
  leaseUntil: number;
  /** Handed out and not yet acked / nak'ed (a nak's delay counts as in flight). */
  inFlight: boolean;
  /** Read ahead, in order, not yet handed out: pending in the group like the one in flight. */
  buffered: RawEntry[];
  /** Pending entries (ours after a lost read or a nak, or the previous owner's) come before new ones. */
  recover: boolean;
  /** Part of the outstanding XREADGROUP. */
  reading: boolean;
  /** Over this member's share: read nothing more, release once idle. */
  releasing: boolean;
}

export function slotsFor(keys: Keys, partitions: number): Slot[] {
  return Array.from({ length: partitions }, (_, p) => ({
    p,
    stream: keys.stream(p),
    owned: false,
    leaseUntil: 0,
    inFlight: false,
    buffered: [],
    recover: false,
    reading: false,
    releasing: false,
  }));
}

/** How often a member heartbeats, renews its leases and rebalances: leaseMs / 4, within 50 … 500 ms. */
export function heartbeatMs(leaseMs: number): number {
  return Math.max(50, Math.min(leaseMs / 4, 500));
}

export interface OwnershipDeps {
  readonly command: () => Promise<Redis>;
  readonly keys: Keys;
  readonly group: string;
  readonly member: string;
  readonly leaseMs: number;
  readonly closed: () => boolean;
  readonly emit: (event: ConsumerEvent) => void;
  /** A partition was taken: the read loop should include it. */
  readonly taken: () => void;
}

/**
 * A member's side of partition ownership: heartbeats in the group's member registry, renews its
 * lease keys, gives up partitions above its share (`shareOf`) once idle, and takes free ones up to it.
 */
export class Ownership {
  private readonly registry: Registry;

  constructor(
    private readonly deps: OwnershipDeps,
    readonly slots: readonly Slot[],
  ) {
    const { keys, group } = deps;
    this.registry = { members: keys.members(group), load: keys.load(group), alive: keys.alive(group) };
  }

  owned(): Slot[] {
    return this.slots.filter((s) => s.owned);
  }

  private lease(slot: Slot): string {
    return this.deps.keys.lease(this.deps.group, slot.p);
  }

  /**
   * Heartbeat (which also keeps an expiring group alive), renew owned leases, give up the excess, take
   * free partitions up to the share.
   */
  async tick(): Promise<void> {
    const { member, leaseMs } = this.deps;
    try {
      const redis = await this.deps.command();
      const started = Date.now();
      const membership = await heartbeat(redis, this.registry, member, leaseMs, this.owned().length);
      if (this.deps.closed()) return;
      const share = shareOf(this.slots.length, membership);
      const lost: number[] = [];
      await Promise.all(
        this.owned().map(async (slot) => {
          if (await renew(redis, this.lease(slot), member, leaseMs)) slot.leaseUntil = started + leaseMs;
          else if (slot.owned) {
            slot.owned = false;
            slot.releasing = false;
            lost.push(slot.p);
          }
        }),
      );
      if (lost.length > 0) this.deps.emit({ type: 'revoked', partitions: lost.sort((a, b) => a - b) });
      await this.shed(redis, share);
      await this.take(redis, share, started);
    } catch {
      // Redis is away: leases run out locally (reads stop at leaseUntil) and are renewed or lost next tick.
    }
  }

  /**
   * Marks the partitions over the share (the highest ones) as releasing and gives back those that are
   * idle; busy ones go on a later tick. The marks are worked out again on every tick: when members
   * come and go the share can grow back, and a partition still marked would stay owned and never read.
   */
  private async shed(redis: Redis, share: number): Promise<void> {
    const owned = this.owned();
    const over = owned.slice(Math.max(0, share));
    for (const slot of owned) slot.releasing = over.includes(slot);
    const released: number[] = [];
    for (const slot of over.reverse()) {
      if (slot.inFlight || slot.reading) continue;
      await release(redis, this.lease(slot), this.deps.member);
      slot.owned = false;
      slot.releasing = false;
      released.push(slot.p);
    }
    if (released.length > 0) this.deps.emit({ type: 'revoked', partitions: released.sort((a, b) => a - b) });
  }

  private async take(redis: Redis, share: number, started: number): Promise<void> {
    const { member, leaseMs } = this.deps;
    let missing = share - this.owned().length;
    if (missing <= 0) return;
    const n = this.slots.length;
    const offset = murmur3(Buffer.from(member, 'utf8')) % n;
    const taken: number[] = [];
    for (let i = 0; i < n && missing > 0 && !this.deps.closed(); i++) {
      const slot = this.slots[(offset + i) % n]!;
      // A partition whose message is still in this process's hands is not taken back before it settles.
      if (slot.owned || slot.inFlight) continue;
      if (!(await acquire(redis, this.lease(slot), member, leaseMs))) continue;
      if (this.deps.closed()) {
        await release(redis, this.lease(slot), member);
        break;
      }
      slot.owned = true;
      slot.releasing = false;
      slot.recover = true; // the previous owner's unacknowledged messages come first
      slot.buffered = []; // read ahead in an earlier ownership: claimed again with the rest
      slot.leaseUntil = started + leaseMs;
      taken.push(slot.p);
      missing--;
    }
    if (taken.length > 0) {
      this.deps.emit({ type: 'assigned', partitions: taken.sort((a, b) => a - b) });
      this.deps.taken();
    }
  }

  /**
   * Gives every owned partition back and leaves the registry, so the other members take them on their
   * next tick. Returns the partitions given up.
   */
  async relinquish(): Promise<number[]> {
    const mine = this.owned();
    for (const slot of mine) slot.owned = false;
    try {
      const redis = await this.deps.command();
      // Unacknowledged entries stay pending: the next owner claims them with a higher delivery count.
      await Promise.all(mine.map((s) => release(redis, this.lease(s), this.deps.member)));
      await leave(redis, this.registry, this.deps.member);
    } catch {
      // Redis is away: the leases and the heartbeat run out by themselves.
    }
    return mine.map((s) => s.p);
  }
}
