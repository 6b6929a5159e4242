import type { KV } from 'nats';
import type { Link } from './link.js';
import { isNotFound, namesFor, readDescription, token } from './topology.js';

export interface ExpirySettings {
  readonly prefix: string;
  /** Period of the sweep timer, and TTL of the sweep claim bucket when this adapter creates it; 0: no timer. */
  readonly sweepMs: number;
  /** Removes a channel as `deleteChannel` does. */
  readonly remove: (channel: string) => Promise<void>;
}

const encoder = new TextEncoder();
const used = 'used';
const removing = 'removing';

/**
 * `ChannelSpec.idleExpiryMs` on JetStream 2.9, which expires no stream by itself. Each use of a channel
 * (`ensureChannel`, every lease tick of a consumer, its close) puts its marker key in the bucket
 * `<prefix>_idle_<ms>`, whose TTL is that idle expiry: the server's own clock drops the marker once
 * nobody used the channel for that long, so no process compares clocks. Sweeps remove the streams
 * whose marker is gone and that no live member heartbeat (lease bucket) still reads.
 */
export class IdleExpiry {
  private readonly buckets = new Map<number, Promise<KV>>();
  private claims: Promise<KV> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private closed = false;

  constructor(
    private readonly link: Link,
    private readonly settings: ExpirySettings,
  ) {}

  private markers(idleExpiryMs: number): Promise<KV> {
    let bucket = this.buckets.get(idleExpiryMs);
    if (!bucket) {
      bucket = this.link
        .get()
        .then(({ js }) =>
          js.views.kv(`${this.settings.prefix}_idle_${idleExpiryMs}`, { ttl: idleExpiryMs, history: 1 }),
        );
      // A bucket deleted under us is created again on the next use.
      bucket.catch(() => this.buckets.delete(idleExpiryMs));
      this.buckets.set(idleExpiryMs, bucket);
    }
    return bucket;
  }

  /** Marks the channel used now: it lives at least `idleExpiryMs` from here. */
  async touch(channel: string, idleExpiryMs: number): Promise<void> {
    const kv = await this.markers(idleExpiryMs);
    try {
      await kv.put(token(channel), encoder.encode(used));
    } catch (error) {
      this.buckets.delete(idleExpiryMs);
      throw error;
    }
  }

  /** Starts the sweep timer (on the adapter's first use, so an idle adapter never connects for it). */
  start(): void {
    if (this.timer || this.closed || !(this.settings.sweepMs > 0)) return;
    this.schedule();
  }

  private schedule(): void {
    // Never sooner than the claim's TTL (a claim would still be held), jittered so instances spread out.
    const delay = this.settings.sweepMs * (1 + Math.random() / 5);
    this.timer = setTimeout(() => {
      this.sweeping = (async () => {
        if (await this.claim()) await this.sweep();
      })()
        .catch(() => {
          // The next period tries again.
        })
        .finally(() => {
          this.sweeping = undefined;
          if (!this.closed) this.schedule();
        });
    }, delay);
    this.timer.unref();
  }

  /**
   * One sweep per period for every instance of the prefix together: the first to create the claim key
   * sweeps, the others find it until the bucket's TTL (the first creator's `sweepMs`) drops it.
   */
  private async claim(): Promise<boolean> {
    this.claims ??= this.link
      .get()
      .then(({ js }) =>
        js.views.kv(`${this.settings.prefix}_sweep`, { ttl: this.settings.sweepMs, history: 1 }),
      );
    const kv = await this.claims.catch((error: unknown) => {
      this.claims = undefined;
      throw error;
    });
    return kv.create('claim', encoder.encode(used)).then(
      () => true,
      (error: unknown) => {
        if (isNotFound(error)) this.claims = undefined;
        return false;
      },
    );
  }

  /** Removes every channel of the prefix idle past its `idleExpiryMs` now; returns their names. */
  async sweep(): Promise<string[]> {
    const { jsm } = await this.link.get();
    const { prefix } = this.settings;
    const candidates: { channel: string; idleExpiryMs: number }[] = [];
    // Listed first, removed after: removing while paging would shift the pages.
    for await (const info of jsm.streams.list(`${prefix}.>`)) {
      const described = readDescription(info.config.description);
      if (described?.idleExpiryMs === undefined) continue;
      if (namesFor(prefix, described.channel).stream !== info.config.name) continue;
      candidates.push({ channel: described.channel, idleExpiryMs: described.idleExpiryMs });
    }
    const removed: string[] = [];
    for (const { channel, idleExpiryMs } of candidates) {
      if (this.closed) break;
      if (!(await this.idle(channel, idleExpiryMs))) continue;
      await this.settings.remove(channel);
      removed.push(channel);
    }
    return removed;
  }

  /**
   * Whether the channel may go: its marker expired, no member is live, and nobody used it while this
   * was checked. The claim (`create`, or the `removing` marker of a sweep that did not finish) and the
   * re-read make a use that lands meanwhile win: only the few milliseconds between the re-read and
   * the stream's deletion remain, and a consumer caught there declares the channel again.
   */
  private async idle(channel: string, idleExpiryMs: number): Promise<boolean> {
    const kv = await this.markers(idleExpiryMs);
    const key = token(channel);
    const entry = await kv.get(key);
    if (entry?.operation === 'PUT' && entry.string() === used) return false;
    let revision: number;
    if (entry?.operation === 'PUT') revision = entry.revision;
    else {
      try {
        revision = await kv.create(key, encoder.encode(removing));
      } catch {
        // Used, or claimed by another sweep, since the read.
        return false;
      }
    }
    if (await this.consumed(channel)) return false;
    return (await kv.get(key))?.revision === revision;
  }

  /** A live member heartbeat of any group (a consumer that renews its marker late still holds it). */
  private async consumed(channel: string): Promise<boolean> {
    const { kv } = await this.link.kv();
    let live = false;
    try {
      for await (const _key of await kv.keys(namesFor(this.settings.prefix, channel).anyMember)) live = true;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    return live;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.sweeping;
  }
}
