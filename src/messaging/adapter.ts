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
 */

export interface ChannelSpec {
  readonly name: string;
  /** Fixed when the channel is created; `partitionFor(key, partitions)` picks one. */
  readonly partitions: number;
  /** How long messages are kept for groups that have not consumed them. */
  readonly retentionMs?: number;
}

export interface OutgoingMessage {
  readonly channel: string;
  readonly partition: number;
  /** The envelope id; adapters with publish de-duplication use it (e.g. `Nats-Msg-Id`). */
  readonly id: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
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
}

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
}

export interface BrokerAdapter {
  readonly name: string;
  readonly capabilities: Capabilities;
  /** Creates the channel (and its partitions) if missing; idempotent; never changes partitions. */
  ensureChannel(spec: ChannelSpec): Promise<void>;
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
  consume(options: ConsumerOptions): Consumer;
  /** Removes a channel and its consumer state (tests, `dlq purge`). */
  deleteChannel(name: string): Promise<void>;
  close(): Promise<void>;
}
