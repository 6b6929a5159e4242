import type { KV, Msg, NatsConnection } from 'nats';
import type { Consumer, ConsumerEvent, ConsumerOptions, Delivery } from '../adapter.js';
import { DeliveryQueue } from '../delivery-queue.js';
import { equalJitter } from '../../internal/backoff.js';
import { unfixable } from '../adapter-errors.js';
import { loadNats, type Link } from './link.js';
import { applicationHeaders } from './message.js';
import { Puller } from './puller.js';
import { namesFor, type Names } from './topology.js';

export interface ConsumerDeps {
  readonly link: Link;
  readonly prefix: string;
  /** How long one pull request waits on the server for a message. */
  readonly pullExpiresMs: number;
  /**
   * Declares the stream and the group's durable consumers (idempotent). Resolves with the group's idle
   * expiry as its durables keep it (their `inactive_threshold`); undefined when they never expire.
   */
  readonly prepare: () => Promise<number | undefined>;
  /** Marks a channel with an idle expiry used (never rejects; the heartbeat also keeps it). */
  readonly touch: () => Promise<void>;
}

/** Retry delays of the lease loop and the pull workers: 100 ms, 200 ms, … up to 2 s (`failures` from 0). */
export function backoff(failures: number): number {
  return equalJitter(failures + 1, 100, 2_000);
}

/**
 * An ack-protocol subject of a durable for stream sequence 0, which is never pending: `+WPI` sent there
 * changes no message, but the server counts every ack-protocol message as activity of the durable
 * (nats-server#3635, 2.9 releases since late 2022), so it keeps one with `inactive_threshold` alive.
 */
export function keepAliveSubject(names: Names, group: string, partition: number): string {
  return `$JS.ACK.${names.stream}.${names.durable(group, partition)}.1.0.0.0.0`;
}

/** The delivery count from a `$JS.ACK.…` reply subject (v1: 9 tokens, v2 with domain and hash: 12+). */
export function deliveredOf(reply: string): number {
  const tokens = reply.split('.');
  const value = Number(tokens.length >= 12 ? tokens[6] : tokens[4]);
  return Number.isInteger(value) && value > 0 ? value : 1;
}

interface Owned {
  readonly partition: number;
  revision: number;
  /** Local time of the last successful create/update of the lease. */
  renewedAt: number;
  releasing: boolean;
  stopped: boolean;
  /** Settles the in-flight delivery with a NAK (on close) so the next owner gets it at once. */
  drop: (() => Promise<void>) | undefined;
  worker: Promise<void> | undefined;
}

const encoder = new TextEncoder();
const keepAliveBody = encoder.encode('+WPI');

/**
 * Messages one pull request asks for. MaxAckPending 1 still hands them out one at a time, each once
 * the one before is settled; the batch only spares a request per message.
 */
const pullBatch = 128;

/**
 * One member of a group. Partition ownership lives in a JetStream KV bucket whose TTL is the lease:
 * members put a heartbeat key, count live members, claim free partition leases with `create` up to
 * ceil(partitions / members), renew theirs with `update(revision)` and give back extras. Each owned
 * partition has one worker taking one message at a time from the group's durable consumer for that
 * partition (MaxAckPending=1): the server hands out the next once the ack/nak is in (see `deliver`).
 */
export class JetStreamConsumer implements Consumer {
  private readonly names: Names;
  private readonly deliveries = new DeliveryQueue<Delivery>(() => this.close());
  private closed = false;
  private readonly owned = new Map<number, Owned>();
  private readonly running: Promise<void>;
  private readonly sleeps = new Set<() => void>();
  private prepared = false;
  private ttlMs = 0;
  private readonly unlisten: () => void;
  private watcher: { stop(): void } | undefined;
  private knownMembers = new Set<string>();
  private keepingAlive: { readonly idleExpiryMs: number; readonly timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly options: ConsumerOptions,
  ) {
    this.names = namesFor(deps.prefix, options.channel.name);
    this.unlisten = deps.link.listen((event) => this.emit(event));
    this.running = this.run();
  }

  private emit(event: ConsumerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's failure must not stop consumption.
    }
  }

  private get tickMs(): number {
    return Math.max(100, Math.floor(this.ttlMs / 3));
  }

  /** Keeps membership and leases up to date until closed. */
  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      try {
        const { kv, ttlMs } = await this.deps.link.kv();
        this.ttlMs = ttlMs;
        if (!this.prepared) {
          this.keepAlive(await this.deps.prepare());
          this.prepared = true;
        }
        if (!this.watcher) await this.watch(kv);
        await this.tick(kv);
        failures = 0;
        await this.sleep(this.tickMs);
      } catch (error) {
        if (this.closed) break;
        if (unfixable(error)) {
          // A conflicting declaration (another partition count) or a bad name: retrying cannot fix it,
          // so the application hears it from its loop instead of waiting forever.
          this.deliveries.fail(error);
          break;
        }
        this.expireStale();
        await this.sleep(backoff(failures++));
      }
    }
  }

  /**
   * Keeps the durables of an expiring group active while this member runs, every partition's, owned or
   * not. An owner's open pull requests count as activity, but a partition can go unpulled longer than
   * the group's idle expiry while the group has members: its lease still held by a member that died
   * (up to a lease), or its message held by a handler (no pull request is open until it is settled).
   */
  private keepAlive(idleExpiryMs: number | undefined): void {
    if (this.keepingAlive?.idleExpiryMs === idleExpiryMs) return;
    clearInterval(this.keepingAlive?.timer);
    this.keepingAlive = undefined;
    if (idleExpiryMs === undefined || this.closed) return;
    const { group, channel } = this.options;
    const subjects = Array.from({ length: channel.partitions }, (_, p) =>
      keepAliveSubject(this.names, group, p),
    );
    const signal = async () => {
      try {
        const { nc } = await this.deps.link.get();
        for (const subject of subjects) nc.publish(subject, keepAliveBody);
      } catch {
        // Closed or closing: the member is going anyway.
      }
    };
    // A few signals per period, so one delayed (a reconnect, a busy event loop) costs nothing.
    const timer = setInterval(() => void signal(), Math.max(100, Math.min(this.tickMs, idleExpiryMs / 4)));
    timer.unref();
    this.keepingAlive = { idleExpiryMs, timer };
  }

  /** Wakes the lease loop when a lease is given back or the membership changes (polling covers the rest). */
  private async watch(kv: KV): Promise<void> {
    const group = this.options.group;
    const prefix = this.names.lease(group, 0).replace(/\.l\.0$/, '');
    const iter = await kv.watch({
      key: `${prefix}.>`,
      include: (await loadNats()).KvWatchInclude.UpdatesOnly,
    });
    this.watcher = iter;
    void (async () => {
      try {
        for await (const entry of iter) {
          const isLease = entry.key.startsWith(`${prefix}.l.`);
          const gone = entry.operation !== 'PUT';
          if ((isLease && gone) || (!isLease && (gone || !this.knownMembers.has(entry.key)))) this.wakeUp();
        }
      } catch {
        // Polling still works.
      }
      if (this.watcher === iter) this.watcher = undefined;
    })();
  }

  private async tick(kv: KV): Promise<void> {
    const { group, member, channel } = this.options;
    await kv.put(this.names.member(group, member), encoder.encode(member));
    await this.deps.touch();
    const members = new Set<string>();
    for await (const key of await kv.keys(this.names.members(group))) members.add(key);
    this.knownMembers = members;
    const partitions = channel.partitions;
    const entries = await Promise.all(
      Array.from({ length: partitions }, (_, p) => kv.get(this.names.lease(group, p))),
    );
    if (this.closed) return;
    const revoked: number[] = [];
    for (const owned of [...this.owned.values()]) {
      const entry = entries[owned.partition];
      if (!entry || entry.operation !== 'PUT' || entry.revision !== owned.revision) {
        this.stop(owned);
        revoked.push(owned.partition);
        continue;
      }
      try {
        owned.revision = await kv.update(
          this.names.lease(group, owned.partition),
          encoder.encode(member),
          owned.revision,
        );
        owned.renewedAt = Date.now();
        // A worker stops when the lease looked stale to it (a tick that came late, a clock that jumped);
        // the lease is still ours, so the partition gets a worker again instead of staying unread.
        if (!owned.worker && !owned.releasing) owned.worker = this.work(owned);
      } catch {
        this.stop(owned);
        revoked.push(owned.partition);
      }
    }
    if (revoked.length > 0) this.emit({ type: 'revoked', partitions: revoked.sort((a, b) => a - b) });
    if (this.closed) return;

    const target = Math.ceil(partitions / Math.max(1, members.size));
    const active = [...this.owned.values()]
      .filter((o) => !o.releasing)
      .sort((a, b) => a.partition - b.partition);
    // Give back the highest extras; each is released by its worker once its in-flight message is settled.
    for (const extra of active.slice(target)) {
      extra.releasing = true;
      if (!extra.worker) void this.release(extra);
    }
    let count = Math.min(active.length, target);
    const assigned: number[] = [];
    // Start at a member-dependent offset so members joining together try different partitions first.
    const offset = [...member].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % partitions;
    for (let i = 0; i < partitions && count < target && !this.closed; i++) {
      const p = (offset + i) % partitions;
      const entry = entries[p];
      if (this.owned.has(p) || (entry && entry.operation === 'PUT')) continue;
      try {
        const revision = await kv.create(this.names.lease(group, p), encoder.encode(member));
        if (this.closed) {
          await kv.delete(this.names.lease(group, p), { previousSeq: revision }).catch(() => {});
          break;
        }
        const owned: Owned = {
          partition: p,
          revision,
          renewedAt: Date.now(),
          releasing: false,
          stopped: false,
          drop: undefined,
          worker: undefined,
        };
        this.owned.set(p, owned);
        assigned.push(p);
        count++;
      } catch {
        // Someone else claimed it first.
      }
    }
    if (assigned.length > 0) {
      this.emit({ type: 'assigned', partitions: assigned.sort((a, b) => a - b) });
      for (const p of assigned) {
        const owned = this.owned.get(p)!;
        owned.worker = this.work(owned);
      }
    }
  }

  /** After renewals failed for about a lease, the lease may belong to someone else: stop those partitions. */
  private expireStale(): void {
    const revoked: number[] = [];
    for (const owned of [...this.owned.values()])
      if (Date.now() - owned.renewedAt > this.ttlMs - this.tickMs) {
        this.stop(owned);
        revoked.push(owned.partition);
      }
    if (revoked.length > 0) this.emit({ type: 'revoked', partitions: revoked.sort((a, b) => a - b) });
  }

  private stop(owned: Owned): void {
    owned.stopped = true;
    if (this.owned.get(owned.partition) === owned) this.owned.delete(owned.partition);
  }

  /** Gives a lease back (only if still ours) so another member can claim it right away. */
  private async release(owned: Owned): Promise<void> {
    if (owned.stopped) return;
    this.stop(owned);
    try {
      const { kv } = await this.deps.link.kv();
      await kv.delete(this.names.lease(this.options.group, owned.partition), { previousSeq: owned.revision });
    } catch {
      // It expires by itself.
    }
    if (!this.closed) this.emit({ type: 'revoked', partitions: [owned.partition] });
  }

  private active(owned: Owned): boolean {
    return !this.closed && !owned.stopped && !owned.releasing && Date.now() - owned.renewedAt < this.ttlMs;
  }

  /** Takes the messages of one owned partition, one at a time. */
  private async work(owned: Owned): Promise<void> {
    let failures = 0;
    let puller: Puller | undefined;
    try {
      while (this.active(owned)) {
        let msg: Msg | null;
        try {
          puller ??= await this.puller(owned.partition);
          msg = await this.pull(puller);
          failures = 0;
        } catch (error) {
          if ((error as { code?: string }).code === '503' || (error as { missing?: boolean }).missing) {
            // The stream or the consumer is gone (deleteChannel, or JetStream still starting): prepare again.
            this.prepared = false;
            this.wakeUp();
          }
          await this.sleep(backoff(failures++));
          continue;
        }
        if (!msg) continue;
        if (!this.active(owned)) {
          await puller.giveBack(msg);
          break;
        }
        const { nc } = await this.deps.link.get();
        await this.deliver(nc, puller, owned, msg);
      }
    } finally {
      await puller?.close();
    }
    owned.worker = undefined;
    if (owned.releasing && !this.closed) await this.release(owned);
  }

  private async puller(partition: number): Promise<Puller> {
    const { nc } = await this.deps.link.get();
    const durable = this.names.durable(this.options.group, partition);
    return Puller.open(nc, `$JS.API.CONSUMER.MSG.NEXT.${this.names.stream}.${durable}`, {
      batch: pullBatch,
      expiresMs: this.deps.pullExpiresMs,
    });
  }

  /** The next message, or null when the pull request ended without one. */
  private async pull(puller: Puller): Promise<Msg | null> {
    const msg = await puller.next();
    if (!msg) return null;
    const code = msg.headers?.code ?? 0;
    if (code === 404 || code === 408) return null;
    if (code >= 400)
      throw Object.assign(new Error(`pull: ${code} ${msg.headers?.description ?? ''}`), {
        // 409: the consumer went away; 503: no JetStream behind the subject (yet).
        missing: code === 409 || code === 503,
      });
    return msg.reply?.startsWith('$JS.ACK.') ? msg : null;
  }

  private async deliver(nc: NatsConnection, puller: Puller, owned: Owned, msg: Msg): Promise<void> {
    const reply = msg.reply!;
    const { id, headers } = applicationHeaders(msg.headers);
    let settled = false;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    // Keep the message ours while it is being handled: the consumer's ack_wait is about one lease.
    const progress = setInterval(() => {
      if (!settled) nc.publish(reply, encoder.encode('+WPI'));
    }, this.tickMs);
    const settle = async (body: string, leaving = !this.active(owned)) => {
      if (settled) return;
      settled = true;
      clearInterval(progress);
      // A partition leaving this member: end the pull request first, or the server hands it the next
      // message (or this one again) the moment this settlement is in.
      const late = leaving ? await puller.stopPulling() : [];
      const confirmed = puller.settle(reply, body);
      if (late.length > 0) void puller.giveBack(...late);
      // The worker may wait for the next message now: the server hands it out once it has processed
      // this settlement (MaxAckPending=1), which comes first on the same connection.
      finish();
      await confirmed;
    };
    owned.drop = () => settle('-NAK', true);
    this.deliveries.push({
      channel: this.options.channel.name,
      partition: owned.partition,
      id,
      headers,
      body: msg.data,
      deliveryCount: deliveredOf(reply),
      ack: () => settle('+ACK'),
      nak: (delayMs = 0) =>
        settle(delayMs > 0 ? `-NAK ${JSON.stringify({ delay: Math.round(delayMs * 1e6) })}` : '-NAK'),
    });
    await finished;
    owned.drop = undefined;
  }

  private sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleeps.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleeps.add(done);
    });
  }

  private wakeUp(): void {
    for (const done of [...this.sleeps]) done();
  }

  async close(): Promise<void> {
    if (this.closed) return this.running;
    this.closed = true;
    // The group's idle period starts once its last member is gone.
    this.keepAlive(undefined);
    this.unlisten();
    this.watcher?.stop();
    this.wakeUp();
    const owned = [...this.owned.values()];
    // Unsettled deliveries go back at once (NAK), then the leases, so the next owner starts right away.
    await Promise.all(owned.map((o) => o.drop?.()));
    await Promise.all(owned.map((o) => o.worker));
    this.deliveries.discard();
    await Promise.all(owned.map((o) => this.release(o)));
    // The idle period starts now, not at the last tick; before the heartbeat goes, so one always holds it.
    await this.deps.touch();
    try {
      const { kv } = await this.deps.link.kv();
      await kv.delete(this.names.member(this.options.group, this.options.member));
    } catch {
      // It expires by itself.
    }
    if (owned.length > 0)
      this.emit({ type: 'revoked', partitions: owned.map((o) => o.partition).sort((a, b) => a - b) });
    this.deliveries.end();
    await this.running;
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    return this.deliveries[Symbol.asyncIterator]();
  }
}
