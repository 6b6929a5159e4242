import type { Redis } from 'ioredis';
import { SwitchyardError } from '../../errors/index.js';
import type { OutgoingMessage } from '../adapter.js';
import { keysFor, publishExpiring, readMeta, type ChannelMeta } from './topology.js';
import { assertPartitionInRange } from '../partition.js';

/** Field names of a stream entry. The body is stored as raw bytes. */
export const fields = { id: 'id', headers: 'headers', body: 'body' } as const;

/**
 * Publishes one message as one XADD, and a batch as one MULTI/EXEC of XADDs: Redis applies all of it or none, and `publish`
 * resolves with EXEC's reply. Entries get server-generated `*` ids (time-ordered within a stream);
 * streams are trimmed by retention with `MINID ~` (now − retentionMs) as they grow.
 */
export class Publisher {
  private readonly metas = new Map<string, ChannelMeta>();

  constructor(
    private readonly redis: () => Promise<Redis>,
    private readonly prefix: string,
  ) {}

  private readonly streams = new Map<string, string[]>();

  private streamOf(channel: string, partition: number): string {
    let streams = this.streams.get(channel);
    if (!streams) {
      const keys = keysFor(this.prefix, channel);
      const { partitions } = this.metas.get(channel)!;
      streams = Array.from({ length: partitions }, (_, p) => keys.stream(p));
      this.streams.set(channel, streams);
    }
    return streams[partition]!;
  }

  /** What `ensureChannel` stored, so publish needs no round trip to validate partitions. */
  remember(channel: string, meta: ChannelMeta): void {
    this.metas.set(channel, meta);
    this.streams.delete(channel);
  }

  forget(channel: string): void {
    this.metas.delete(channel);
    this.streams.delete(channel);
  }

  private async meta(redis: Redis, channel: string): Promise<ChannelMeta> {
    let meta = this.metas.get(channel);
    if (!meta) {
      meta = await readMeta(redis, this.prefix, channel);
      if (!meta)
        throw new SwitchyardError('NOT_FOUND', `Channel ${channel} does not exist on Redis`, {
          details: { channel },
        });
      this.metas.set(channel, meta);
    }
    return meta;
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const redis = await this.redis();
    for (const m of messages)
      assertPartitionInRange(
        m,
        (this.metas.get(m.channel) ?? (await this.meta(redis, m.channel))).partitions,
      );
    const now = Date.now();
    const xadd = (m: OutgoingMessage): (string | Buffer)[] => {
      const retentionMs = this.metas.get(m.channel)?.retentionMs;
      const trim = retentionMs === undefined ? [] : ['MINID', '~', String(Math.max(0, now - retentionMs))];
      const body = Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength);
      return [
        this.streamOf(m.channel, m.partition),
        ...trim,
        '*',
        fields.id,
        m.id,
        fields.headers,
        JSON.stringify(m.headers),
        fields.body,
        body,
      ];
    };
    const expiring = (m: OutgoingMessage) => this.metas.get(m.channel)?.idleExpiryMs !== undefined;
    const meta = (m: OutgoingMessage) => keysFor(this.prefix, m.channel).meta;
    // One XADD is atomic by itself; a batch needs MULTI/EXEC to be all or nothing.
    if (messages.length === 1) {
      const m = messages[0]!;
      let id: unknown;
      try {
        id = expiring(m)
          ? await redis.eval(publishExpiring.source, 2, meta(m), ...xadd(m))
          : await redis.call('XADD', ...xadd(m));
      } catch (error) {
        throw new SwitchyardError('UNAVAILABLE', `Redis refused the message: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (id === null) throw this.expired(m.channel);
      return;
    }
    const tx = redis.multi();
    for (const m of messages)
      if (expiring(m)) tx.eval(publishExpiring.source, 2, meta(m), ...xadd(m));
      else tx.call('XADD', ...xadd(m));
    const results = await tx.exec();
    if (results === null) throw new SwitchyardError('UNAVAILABLE', 'Redis discarded the publish transaction');
    for (const [i, [error, id]] of results.entries()) {
      if (error)
        throw new SwitchyardError('UNAVAILABLE', `Redis refused a message of the batch: ${error.message}`, {
          cause: error,
        });
      if (id === null) throw this.expired(messages[i]!.channel);
    }
  }

  /** The channel expired (idle): forgotten here, so that a later `ensureChannel` starts afresh. */
  private expired(channel: string): SwitchyardError {
    this.forget(channel);
    return new SwitchyardError('NOT_FOUND', `Channel ${channel} does not exist on Redis (it expired idle)`, {
      details: { channel },
    });
  }
}
