import {
  checkGroupIdleExpiry,
  type BrokerAdapter,
  type ChannelSpec,
  type Consumer,
  type ConsumerOptions,
  type GroupStart,
  type OutgoingMessage,
} from '../adapter.js';
import { SwitchyardError } from '../../errors/index.js';
import { EmbeddedConsumer } from './consumer.js';
import { lagReader } from './lag.js';
import { peeker } from './peek.js';
import { busyTimeoutMs, isBusy } from '../../internal/sqlite-lock.js';
import { busFor, openNoWaitConnection, openStore, type Db } from './store.js';
import { assertPartitionInRange } from '../partition.js';
import { sqliteSynchronous, walFlusherFor, type Durability } from '../../internal/wal-sync.js';
import { GroupCommit, lockTaken } from './group-commit.js';
import { newOffsetOf, prepare } from './statements.js';

export interface EmbeddedBrokerOptions {
  /** SQLite file shared by the processes of one machine (created if missing; WAL mode). */
  readonly file: string;
  /** Default retention of channels created without `retentionMs`; absent: kept until the channel is deleted. */
  readonly retentionMs?: number;
  /** How long a partition stays owned by a member that stopped renewing (it renews every `leaseMs / 3`). */
  readonly leaseMs?: number;
  /**
   * `commit` (default): each committed publish and ack is fsynced, and survives a power loss.
   * `interval`: the log is fsynced every second instead; a process crash loses nothing, a power loss
   * the last second. Every process of a machine writes this one file, one commit at a time, so with
   * `commit` its disk's fsync time bounds the whole system's rate (see `Durability`).
   */
  readonly durability?: Durability;
  /**
   * How often expired messages, idle channels and idle groups (`idleExpiryMs`) are deleted (default: a
   * tenth of the shortest retention, 1 s … 60 s).
   */
  readonly retentionSweepMs?: number;
}

export interface EmbeddedBroker extends BrokerAdapter {
  /** Deletes messages older than their channel's retention now (also done on a timer). Returns how many. */
  sweepRetention(): number;
  /**
   * Removes the channels and groups idle past their `idleExpiryMs` now (also done on a timer). Returns
   * the names of the channels.
   */
  sweepIdle(): string[];
}

/**
 * The embedded broker: a durable partitioned log in one SQLite file, shared by the processes of a
 * machine. Channels, messages, group offsets, partition leases and group members are rows; see
 * `consumer.ts` for assignment, leases and wake-ups.
 */
export function embeddedBroker(options: EmbeddedBrokerOptions): EmbeddedBroker {
  const leaseMs = options.leaseMs ?? 5_000;
  if (!(leaseMs >= 30)) throw new SwitchyardError('INVALID_ARGUMENT', 'leaseMs must be at least 30');
  const durability = options.durability ?? 'commit';
  const db = openStore(options.file, sqliteSynchronous(durability));
  const noWaitDb = openNoWaitConnection(options.file, sqliteSynchronous(durability));
  const flusher = walFlusherFor(options.file, durability);
  const bus = busFor(options.file);
  const consumers = new Set<EmbeddedConsumer>();
  let closed = false;

  const channelRow = db.prepare(`SELECT partitions, retention_ms FROM sy_channels WHERE name = ?`);
  const insertChannel = db.prepare(
    `INSERT INTO sy_channels (name, partitions, retention_ms, created_at) VALUES (?, ?, ?, ?)`,
  );
  const sweep = db.prepare(`DELETE FROM sy_messages WHERE channel = ? AND published_at < ?`);
  const { newOffset: declareGroup } = prepare(db);
  const markUsed = db.prepare(`INSERT INTO sy_idle (channel, idle_ms, used_at) VALUES (?, ?, ?)
    ON CONFLICT (channel) DO UPDATE SET idle_ms = excluded.idle_ms, used_at = excluded.used_at`);
  const idle = db.prepare(`SELECT channel FROM sy_idle WHERE used_at + idle_ms < ?`);
  const groupExists = db.prepare(`SELECT 1 FROM sy_offsets WHERE channel = ? AND grp = ? LIMIT 1`);
  const markGroupUsed = db.prepare(`INSERT OR IGNORE INTO sy_idle_groups (channel, grp, idle_ms, used_at)
    VALUES (?, ?, ?, ?)`);
  // Idle past their expiry and without a member whose membership still runs (a slow beat keeps it).
  const idleGroups = db.prepare(`SELECT channel, grp FROM sy_idle_groups g WHERE used_at + idle_ms < @now
    AND NOT EXISTS (SELECT 1 FROM sy_members m
      WHERE m.channel = g.channel AND m.grp = g.grp AND m.expires_at >= @now)`);
  const peek = peeker(db);
  const lag = lagReader(db);
  const retained = db.prepare(
    `SELECT name, coalesce(retention_ms, ?) AS retention FROM sy_channels WHERE coalesce(retention_ms, ?) IS NOT NULL`,
  );

  function assertOpen() {
    if (closed) throw new SwitchyardError('UNAVAILABLE', 'The embedded broker is closed');
  }

  const ensure = db
    .transaction((spec: ChannelSpec, start: GroupStart = 'oldest', groupIdleMs?: number) => {
      if (typeof spec.name !== 'string' || spec.name.length === 0)
        throw new SwitchyardError('INVALID_ARGUMENT', 'A channel needs a name');
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1)
        throw new SwitchyardError('INVALID_ARGUMENT', `partitions must be a positive integer`);
      const row = channelRow.get(spec.name) as { partitions: number } | undefined;
      if (!row) {
        insertChannel.run(spec.name, spec.partitions, spec.retentionMs ?? null, Date.now());
      } else if (row.partitions !== spec.partitions) {
        throw new SwitchyardError(
          'FAILED_PRECONDITION',
          `Channel ${spec.name} already exists with ${row.partitions} partitions, not ${spec.partitions}`,
          { details: { channel: spec.name, partitions: row.partitions, requested: spec.partitions } },
        );
      }
      if (spec.idleExpiryMs !== undefined) markUsed.run(spec.name, spec.idleExpiryMs, Date.now());
      // A group is its offset rows; seq grows with every insert, and this holds the write lock.
      for (const group of spec.groups ?? []) {
        if (typeof group !== 'string' || group.length === 0)
          throw new SwitchyardError('INVALID_ARGUMENT', 'A group needs a name', {
            details: { channel: spec.name },
          });
        checkGroupIdleExpiry(spec.name, group, groupIdleMs);
        // Only a group created here expires: one that exists keeps its settings.
        if (groupIdleMs !== undefined && !groupExists.get(spec.name, group))
          markGroupUsed.run(spec.name, group, groupIdleMs, Date.now());
        for (let p = 0; p < spec.partitions; p++) declareGroup.run(newOffsetOf(spec.name, group, p, start));
      }
    })
    .immediate.bind(null);

  /**
   * Checks every call's messages against its channel first, so that the inserts of the calls that pass
   * can share one transaction. Returns, per call, its error or `undefined`.
   */
  function check(batch: readonly (readonly OutgoingMessage[])[]): unknown[] {
    const partitions = new Map<string, number | undefined>();
    return batch.map((messages) => {
      try {
        for (const m of messages) {
          if (!partitions.has(m.channel))
            partitions.set(
              m.channel,
              (channelRow.get(m.channel) as { partitions: number } | undefined)?.partitions,
            );
          const count = partitions.get(m.channel);
          if (count === undefined)
            throw new SwitchyardError('NOT_FOUND', `Channel ${m.channel} does not exist`, {
              details: { channel: m.channel },
            });
          assertPartitionInRange(m, count);
        }
        return undefined;
      } catch (error) {
        return error;
      }
    });
  }

  /** One transaction inserting the messages of several publish calls, on `connection`. */
  function inserter(connection: Db) {
    const insertMessage =
      connection.prepare(`INSERT INTO sy_messages (channel, partition, id, headers, body, published_at)
      VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, id) DO NOTHING`);
    return connection.transaction((calls: readonly (readonly OutgoingMessage[])[]) => {
      const now = Date.now();
      for (const messages of calls)
        for (const m of messages) {
          const body = Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength);
          insertMessage.run(m.channel, m.partition, m.id, JSON.stringify(m.headers), body, now);
        }
    });
  }
  /** Waits for the lock (busy_timeout): for a call tried alone, and the last write before closing. */
  const insertWaiting = inserter(db);
  const insertNow = inserter(noWaitDb);

  /** Another process held the file's write lock past busy_timeout: an outage, not a bug. */
  const outage = (error: unknown) =>
    isBusy(error)
      ? new SwitchyardError('UNAVAILABLE', 'The embedded broker file is locked; nothing was published', {
          cause: error,
        })
      : error;

  /**
   * Publishes made in the same turn of the event loop share one commit (group commit): a commit costs
   * far more than the inserts, and each caller still resolves only once its messages are committed.
   * While another process holds the write lock, they wait on a timer (see `GroupCommit`), for as long
   * as a blocking write would have waited.
   */
  const groupCommit = new GroupCommit<readonly OutgoingMessage[]>(
    (batch, wait) => {
      const outcomes = check(batch);
      const valid = batch.filter((_, i) => outcomes[i] === undefined);
      if (valid.length === 0) return outcomes;
      try {
        (wait ? insertWaiting : insertNow).immediate(valid);
      } catch (error) {
        if (isBusy(error)) {
          if (!wait) return lockTaken;
          return batch.map((_, i) => outcomes[i] ?? outage(error));
        }
        if (valid.length === 1) return batch.map((_, i) => outcomes[i] ?? error);
        // So that one call's bad message cannot fail the others, each call goes again on its own.
        batch.forEach((messages, i) => {
          if (outcomes[i] !== undefined) return;
          try {
            insertWaiting.immediate([messages]);
          } catch (alone) {
            outcomes[i] = outage(alone);
          }
        });
      }
      const channels = new Set<string>();
      batch.forEach((messages, i) => {
        if (outcomes[i] === undefined) for (const m of messages) channels.add(m.channel);
      });
      for (const channel of channels) bus.emit(`publish:${channel}`);
      return outcomes;
    },
    {
      giveUpMs: busyTimeoutMs,
      giveUp: (lockedMs) =>
        new SwitchyardError(
          'UNAVAILABLE',
          `The embedded broker file has been locked by another process for ${lockedMs} ms; nothing was published`,
        ),
    },
  );

  function sweepRetention(): number {
    const now = Date.now();
    const fallback = options.retentionMs ?? null;
    let deleted = 0;
    const channels = retained.all(fallback, fallback) as { name: string; retention: number }[];
    for (const { name, retention } of channels) deleted += sweep.run(name, now - retention).changes;
    return deleted;
  }

  const remove = db.transaction((name: string) => {
    for (const table of ['sy_messages', 'sy_offsets', 'sy_leases', 'sy_members', 'sy_idle_groups'])
      db.prepare(`DELETE FROM ${table} WHERE channel = ?`).run(name);
    db.prepare(`DELETE FROM sy_idle WHERE channel = ?`).run(name);
    db.prepare(`DELETE FROM sy_channels WHERE name = ?`).run(name);
  });

  const removeGroup = db.transaction((channel: string, group: string) => {
    for (const table of ['sy_offsets', 'sy_leases', 'sy_members', 'sy_idle_groups'])
      db.prepare(`DELETE FROM ${table} WHERE channel = ? AND grp = ?`).run(channel, group);
  });

  /**
   * Removes the channels and the groups nobody used for their idle expiry (a consumer renews `used_at`
   * on every beat). Returns the names of the channels removed.
   */
  function sweepIdle(): string[] {
    return db
      .transaction(() => {
        const now = Date.now();
        const expired = idle.pluck().all(now) as string[];
        for (const name of expired) remove(name);
        for (const { channel, grp } of idleGroups.all({ now }) as { channel: string; grp: string }[])
          removeGroup(channel, grp);
        return expired;
      })
      .immediate();
  }

  const sweepMs =
    options.retentionSweepMs ?? Math.min(60_000, Math.max(1_000, (options.retentionMs ?? 600_000) / 10));
  const sweeper = setInterval(() => {
    try {
      sweepRetention();
      sweepIdle();
    } catch {
      // busy: next time
    }
  }, sweepMs);
  sweeper.unref();

  return {
    name: 'embedded',
    capabilities: {
      publishDedup: true,
      persistent: true,
      brokerSideDelay: true,
      passivePeek: true,
      idleExpiry: true,
      groupIdleExpiry: true,
    },
    async ensureChannel(spec) {
      assertOpen();
      ensure(spec);
    },
    async publish(messages) {
      assertOpen();
      if (messages.length === 0) return;
      await groupCommit.add(messages);
    },
    consume(consumerOptions: ConsumerOptions): Consumer {
      assertOpen();
      const { channel, group } = consumerOptions;
      const consumer = new EmbeddedConsumer(
        {
          db,
          fetchDb: noWaitDb,
          bus,
          leaseMs,
          ensureChannel: () =>
            ensure({ ...channel, groups: [group] }, consumerOptions.start, consumerOptions.idleExpiryMs),
        },
        consumerOptions,
      );
      consumers.add(consumer);
      const close = consumer.close.bind(consumer);
      consumer.close = async () => {
        consumers.delete(consumer);
        await close();
      };
      return consumer;
    },
    async peek(channel, group, peekOptions) {
      assertOpen();
      return peek(channel, group, peekOptions);
    },
    async lag(channel, group) {
      assertOpen();
      return lag(channel, group);
    },
    async deleteChannel(name) {
      assertOpen();
      remove.immediate(name);
    },
    async deleteGroup(channel, group) {
      assertOpen();
      removeGroup.immediate(channel, group);
    },
    sweepRetention,
    sweepIdle,
    async close() {
      if (closed) return;
      await Promise.all([...consumers].map((c) => c.close()));
      groupCommit.flush(true);
      closed = true;
      clearInterval(sweeper);
      await flusher?.stop();
      noWaitDb.close();
      db.close();
    },
  };
}
