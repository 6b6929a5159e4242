import { SwitchyardError } from '../errors/index.js';

/**
 * The seam between Switchyard's messaging semantics and a broker engine (embedded SQLite log,
 * RabbitMQ, NATS JetStream, Redis Streams). Every adapter passes the same conformance suite.
 *
 * What an adapter guarantees:
 * - `publish` resolves only once the engine has durably accepted every message (publisher confirms,
 *   JetStream ack, XADD reply, committed row); a rejection means nothing of the batch may be assumed sent.
 * - Messages of one partition are delivered in publish order.
 * - Within a group, each partition is owned by at most one member at a time. Ownership moves when a
 *   member closes or stops renewing it; the new owner resumes after the last acknowledged message.
 * - A partition's next message is not delivered before the current one is acknowledged or
 *   negatively acknowledged (one in flight per partition), so per-key order survives redelivery.
 * - An unacknowledged message is delivered again (to the same or the next owner) with a higher
 *   `deliveryCount`: delivery is at least once.
 * - Every group receives every message of the channel (publish-subscribe across groups; members of
 *   one group compete).
 * - A group named in `ChannelSpec.groups` receives every message published once `ensureChannel`
 *   resolved, even before its first member consumes.
 */

export interface ChannelSpec {
  readonly name: string;
  /** Fixed when the channel is created; `partitionFor(key, partitions)` picks one. */
  readonly partitions: number;
  /** How long messages are kept for groups that have not consumed them. */
  readonly retentionMs?: number;
  /**
   * The channel is removed once nobody has consumed from it for this long: for a channel only one
   * process reads (its reply channel), which a process that crashed cannot delete. Consumers keep it
   * alive while they run; a publish after the removal fails with NOT_FOUND. Honoured where
   * `Capabilities.idleExpiry` says so; elsewhere the channel stays until `deleteChannel`, with its
   * messages bounded by `retentionMs`.
   */
  readonly idleExpiryMs?: number;
  /**
   * Groups that must receive every message published from the moment `ensureChannel` resolves, even
   * before they first consume: `ensureChannel` declares them. Engines that keep history for new groups
   * need it less, but every adapter declares them, so `peek` knows them at once. `consume` declares its
   * own group the same way.
   */
  readonly groups?: readonly string[];
}

export interface OutgoingMessage {
  readonly channel: string;
  readonly partition: number;
  /** The envelope id; adapters with publish de-duplication use it (e.g. `Nats-Msg-Id`). */
  readonly id: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** A message a group has not acknowledged yet, as `peek` shows it. */
export interface PeekedMessage {
  readonly channel: string;
  readonly partition: number;
  readonly id: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** When the engine stored it (epoch ms), where the engine records it. */
  readonly publishedAt?: number;
}

export interface PeekOptions {
  /** The most messages returned; a positive integer, default `defaultPeekLimit` (100). */
  readonly limit?: number;
}

export interface Delivery {
  readonly channel: string;
  readonly partition: number;
  readonly id: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  /** Done with it: the partition moves on. */
  ack(): Promise<void>;
  /** Deliver it again after `delayMs` (the partition waits for it). */
  nak(delayMs?: number): Promise<void>;
}

export type ConsumerEvent =
  | { type: 'assigned'; partitions: readonly number[] }
  | { type: 'revoked'; partitions: readonly number[] }
  | { type: 'disconnected'; error: unknown }
  | { type: 'reconnected' };

export interface ConsumerOptions {
  readonly channel: ChannelSpec;
  readonly group: string;
  /** Unique per consumer instance (process + subscription). */
  readonly member: string;
  readonly onEvent?: (event: ConsumerEvent) => void;
  /**
   * Where the group begins when it has no position yet (never declared, consumed, or since
   * `deleteGroup`): `'oldest'` (the default) receives everything the channel keeps, `'end'` only what
   * is published once `consume` has declared the group. A group with a position always resumes from
   * it. RabbitMQ keeps nothing for a group that did not exist, so there both mean `'end'`.
   */
  readonly start?: GroupStart;
  /**
   * The group is removed (positions, unacknowledged messages, leases) once it has had no member for
   * this long: for a group a tool makes for itself (`switchyard tail`), which a killed process cannot
   * delete. Members keep it alive while they run. Only for a group that `consume` creates: a group
   * that exists already keeps its own settings. Honoured where `Capabilities.groupIdleExpiry` says so.
   */
  readonly idleExpiryMs?: number;
}

export type GroupStart = 'oldest' | 'end';

/** Deliveries as an async iterable; iteration ends when the consumer is closed. */
export interface Consumer extends AsyncIterable<Delivery> {
  /** Stops fetching, gives up owned partitions (so others take them at once) and ends iteration. */
  close(): Promise<void>;
}

/** What an adapter offers beyond the guarantees above, declared honestly for the conformance suite. */
export interface Capabilities {
  /** Publish de-duplication by message id inside a window. */
  readonly publishDedup: boolean;
  /** Survives a restart of the engine without losing acknowledged-as-published messages. */
  readonly persistent: boolean;
  /** Delayed redelivery (`nak(delayMs)`) done by the engine rather than by the client. */
  readonly brokerSideDelay: boolean;
  /**
   * `peek` reads without delivering: it changes no delivery count and also shows a message a live
   * member holds. False on RabbitMQ, where a quorum queue is read only by consuming it and giving the
   * messages back: each message read counts one delivery (and one attempt against the queue's delivery
   * limit), a message returned later while peeked ones wait goes behind them, and a partition that a
   * member is consuming is refused with FAILED_PRECONDITION (docs/messaging-rabbitmq.md, "Peek").
   */
  readonly passivePeek: boolean;
  /**
   * `lag` counts only messages waiting in the engine, not one a member holds unacknowledged. True on
   * RabbitMQ, whose queue declaration reports ready messages only (unacknowledged ones are known to the
   * management plugin, not to AMQP); there `lag` also counts the adapter's probes waiting in a queue
   * (docs/messaging.md, "Consumer lag"). Absent: false, `lag` counts unacknowledged messages too.
   */
  readonly lagReadyOnly?: boolean;
  /**
   * `ChannelSpec.idleExpiryMs` is honoured: a channel nobody consumed for that long is removed (by
   * the engine, or by a sweep of the adapter's own, within the adapter's documented sweep period).
   */
  readonly idleExpiry: boolean;
  /**
   * `ConsumerOptions.idleExpiryMs` is honoured: a group with no member for that long is removed (by
   * the engine, or by a sweep of the adapter's own, within the adapter's documented sweep period).
   */
  readonly groupIdleExpiry: boolean;
}

export interface BrokerAdapter {
  readonly name: string;
  readonly capabilities: Capabilities;
  /** Creates the channel (and its partitions) if missing; idempotent; never changes partitions. */
  ensureChannel(spec: ChannelSpec): Promise<void>;
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
  consume(options: ConsumerOptions): Consumer;
  /**
   * What `group` has not acknowledged on `channel` (a message out with a member included), partition
   * after partition, each in delivery order; at most `limit`. Reads only: nothing is consumed,
   * acknowledged or moved, and no lease or position changes (see `Capabilities.passivePeek` for what
   * it costs where the engine cannot read without delivering). A group that never consumed shows
   * everything kept for it. Rejects with NOT_FOUND when the channel does not exist (`details.channel`)
   * or the group was never declared (`ChannelSpec.groups`) nor consumed (`details.group` too), and with
   * INVALID_ARGUMENT for a bad `limit`.
   */
  peek(channel: string, group: string, options?: PeekOptions): Promise<PeekedMessage[]>;
  /**
   * How many messages of `channel` (all partitions) `group` has not acknowledged, a message out with a
   * member included (unless `capabilities.lagReadyOnly`). Read from the engine's own bookkeeping
   * (offsets, consumer and group counters, queue depths), never by reading messages, so it is cheap
   * enough for every metrics scrape. Rejects with NOT_FOUND like `peek`. Optional: an adapter without
   * it exposes no consumer-lag gauge.
   */
  lag?(channel: string, group: string): Promise<number>;
  /** Removes a channel and its consumer state (tests, `dlq purge`). */
  deleteChannel(name: string): Promise<void>;
  /**
   * Removes one group's state on `channel` (its positions, unacknowledged messages, leases and
   * members), leaving the channel and its other groups untouched: for a group that is retired, or
   * one a tool made for itself (`switchyard tail`). Close the group's members first: a member still
   * consuming declares the group again, at its `start`. Resolves when there was nothing to remove.
   */
  deleteGroup(channel: string, group: string): Promise<void>;
  close(): Promise<void>;
}

export const defaultPeekLimit = 100;

/** `options.limit`, checked, or the default. */
export function peekLimit(options?: PeekOptions): number {
  const limit = options?.limit ?? defaultPeekLimit;
  if (!Number.isInteger(limit) || limit < 1)
    throw new SwitchyardError('INVALID_ARGUMENT', 'The peek limit must be a positive integer', {
      details: { limit },
    });
  return limit;
}

/** `ConsumerOptions.idleExpiryMs`, checked: a positive integer when given. */
export function checkGroupIdleExpiry(channel: string, group: string, idleExpiryMs: number | undefined): void {
  if (idleExpiryMs !== undefined && !(Number.isInteger(idleExpiryMs) && idleExpiryMs > 0))
    throw new SwitchyardError('INVALID_ARGUMENT', 'idleExpiryMs must be a positive integer', {
      details: { channel, group, idleExpiryMs },
    });
}

/** The NOT_FOUND of `peek` when the channel exists but the group does not. */
export function unknownGroup(channel: string, group: string): SwitchyardError {
  return new SwitchyardError('NOT_FOUND', `Channel ${channel} has no group ${group}`, {
    details: { channel, group },
  });
}

/** The NOT_FOUND of `peek` when the channel does not exist. */
export function unknownChannel(channel: string): SwitchyardError {
  return new SwitchyardError('NOT_FOUND', `Channel ${channel} does not exist`, { details: { channel } });
}
