import type { AnyContract, PayloadOf, ReplyOf } from '../../contract/index.js';
import type { Codec } from '../../codec/index.js';
import type { SwitchyardError } from '../../errors/index.js';
import type { Context, Host } from '../../runtime/index.js';
import type { BrokerAdapter, OutgoingMessage } from '../adapter.js';

/**
 * Where prepared messages go: the broker adapter itself, or anything that stores them to be relayed
 * later (an outbox transaction). `publish` resolving means the messages are durably accepted.
 */
export interface MessageSink {
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
}

export interface ChannelSettings {
  /** Fixed when the channel is first created; every service must use the same number. */
  readonly partitions?: number;
  readonly retentionMs?: number;
  /**
   * Groups that must get every message published from now on, even before they first consume
   * (RabbitMQ keeps nothing for a group that does not exist yet).
   */
  readonly groups?: readonly string[];
}

export interface RetrySettings {
  /** Handler runs per delivery, the first included; default 3. */
  readonly attempts?: number;
  /** Backoff before the second run; doubled each time, with full jitter; default 100 ms. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

export interface MessagingOptions {
  readonly broker: BrokerAdapter;
  /** The sending service: `ce-source` of what it sends, and the default consumer group. */
  readonly service: string;
  /** Unique per process; names this instance's reply channel. Default: service, host, pid and a random part. */
  readonly instance?: string;
  /** How payloads are written; default JSON. Any codec in `codecs` is read. */
  readonly codec?: Codec;
  readonly codecs?: readonly Codec[];
  /** Per channel name; channels not listed get `defaultPartitions`. */
  readonly channels?: Readonly<Record<string, ChannelSettings>>;
  /** Default 8. */
  readonly defaultPartitions?: number;
  readonly retry?: RetrySettings;
  /**
   * A message delivered this many times without being settled (its handler crashed the process or
   * hung past the lease) goes to the dead-letter channel; default 10.
   */
  readonly maxDeliveries?: number;
  /** Messages handled at once per subscription, across partitions (each partition stays in order); default 16. */
  readonly concurrency?: number;
  /** How long reply channels keep unread replies; default 10 minutes. */
  readonly replyRetentionMs?: number;
  /**
   * How long after its instance stopped consuming a reply channel is removed, where the adapter can
   * (`capabilities.idleExpiry`); default 5 minutes. A cleanly closed instance deletes its own at once.
   */
  readonly replyIdleExpiryMs?: number;
  /** Gives handlers' contexts typed RPC clients (`ctx.client(Contract)`). */
  readonly host?: Host;
  readonly onEvent?: (event: MessagingEvent) => void;
}

export type MessagingEvent =
  | { type: 'retrying'; channel: string; messageId: string; attempt: number; error: SwitchyardError }
  | { type: 'dead-lettered'; channel: string; messageId: string; reason: string; error: SwitchyardError }
  | { type: 'skipped'; channel: string; messageId: string; reason: string }
  | { type: 'notify-failed'; channel: string; messageId: string; error: SwitchyardError }
  | { type: 'handler-error'; channel: string; messageId: string; error: SwitchyardError }
  | { type: 'consumer-error'; channel: string; error: SwitchyardError };

export interface SendOptions {
  /** The context this message is sent from: its correlation id, trace and deadline are inherited. */
  readonly parent?: Context;
  /** Partition key; default the value of the message's `partitionKey` field, else the message id. */
  readonly key?: string;
  /** Store instead of publishing (an outbox transaction). */
  readonly sink?: MessageSink;
  readonly subject?: string;
}

export interface RequestOptions extends SendOptions {
  /** Default 30 s, bounded by the parent's deadline. */
  readonly timeoutMs?: number;
}

export interface GatherOptions extends RequestOptions {
  /** Resolve as soon as this many replies arrived; otherwise at the deadline. */
  readonly count?: number;
}

export interface GatheredReply<R> {
  /** `ce-source` of the replying service. */
  readonly source: string;
  readonly reply?: R;
  readonly error?: SwitchyardError;
}

/** What a handler learns about the message beyond its payload. */
export interface ReceivedMessage {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly channel: string;
  readonly partition: number;
  readonly group: string;
  readonly key: string | undefined;
  /** Broker deliveries of this message so far (1 on the first). */
  readonly deliveryCount: number;
  /** Runs of the handler for this delivery (1 on the first). */
  readonly attempt: number;
  readonly headers: Readonly<Record<string, string>>;
}

export type MessageHandler<P, R> = (payload: P, ctx: Context, message: ReceivedMessage) => R | Promise<R>;

export type CommandHandlers<C extends AnyContract> = {
  [K in keyof C['commands']]?: MessageHandler<PayloadOf<C['commands'][K]>, ReplyOf<C['commands'][K]>>;
};

export type EventHandlers<C extends AnyContract> = {
  [K in keyof C['events']]?: MessageHandler<PayloadOf<C['events'][K]>, void>;
};

export interface SubscribeOptions {
  /** Default: the bus's service name. Members of one group compete; every group gets every message. */
  readonly group?: string;
  /** false: only broker-less delivery (`dispatch`) reaches these handlers; nothing is consumed from the broker. */
  readonly consume?: boolean;
}

/** A message that arrived without a broker, as CloudEvents binary mode: `ce-*` headers and the payload. */
export interface DirectMessage {
  readonly channel: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface Subscription {
  /** A contract's commands or events may use more than one channel. */
  readonly channels: readonly string[];
  readonly group: string;
  /** Stops taking messages, finishes those in hand, and gives the partitions back. */
  close(): Promise<void>;
}

export type CommandName<C extends AnyContract> = keyof C['commands'] & string;
export type EventName<C extends AnyContract> = keyof C['events'] & string;
/** Commands that declare a reply. */
export type RequestName<C extends AnyContract> = {
  [K in CommandName<C>]: C['commands'][K]['reply'] extends undefined ? never : K;
}[CommandName<C>];

export interface Messaging {
  readonly service: string;
  readonly instance: string;
  /** Point-to-point: one member of the receiving service's group handles it. */
  send<C extends AnyContract, K extends CommandName<C>>(
    contract: C,
    command: K,
    payload: PayloadOf<C['commands'][K]>,
    options?: SendOptions,
  ): Promise<void>;
  /** Sends a command and waits for its reply (or its error) until the deadline. */
  request<C extends AnyContract, K extends RequestName<C>>(
    contract: C,
    command: K,
    payload: PayloadOf<C['commands'][K]>,
    options?: RequestOptions,
  ): Promise<ReplyOf<C['commands'][K]>>;
  /** Publishes a command every subscribing group answers, and collects the replies until `count` or the deadline. */
  gather<C extends AnyContract, K extends RequestName<C>>(
    contract: C,
    command: K,
    payload: PayloadOf<C['commands'][K]>,
    options?: GatherOptions,
  ): Promise<GatheredReply<ReplyOf<C['commands'][K]>>[]>;
  /** Publish-subscribe: every subscribing group gets a copy. */
  publish<C extends AnyContract, K extends EventName<C>>(
    contract: C,
    event: K,
    payload: PayloadOf<C['events'][K]>,
    options?: SendOptions,
  ): Promise<void>;
  /** Fire and forget: returns at once; a failure is reported as a `notify-failed` event, never thrown. */
  notify<C extends AnyContract, K extends EventName<C>>(
    contract: C,
    event: K,
    payload: PayloadOf<C['events'][K]>,
    options?: SendOptions,
  ): void;
  /** Validates, wraps in an envelope, encodes and partitions a message without sending it. */
  prepare(message: PrepareInput, options?: SendOptions): OutgoingMessage;
  /** Consumes the contract's commands (its own service's channel). */
  handle<C extends AnyContract>(
    contract: C,
    handlers: CommandHandlers<C>,
    options?: SubscribeOptions,
  ): Promise<Subscription>;
  /** Consumes another service's events. */
  subscribe<C extends AnyContract>(
    contract: C,
    handlers: EventHandlers<C>,
    options?: SubscribeOptions,
  ): Promise<Subscription>;
  /**
   * Runs a message that came without a broker through the handlers registered for its channel;
   * resolves with the reply of a command that has one, rejects with the handler's error.
   */
  dispatch(message: DirectMessage): Promise<{ reply?: unknown }>;
  /** The channels and group of each open subscription that consumes from the broker (lag metrics). */
  subscriptions(): readonly { readonly channels: readonly string[]; readonly group: string }[];
  close(): Promise<void>;
}

export interface PrepareInput {
  readonly contract: AnyContract;
  readonly kind: 'command' | 'event';
  readonly name: string;
  readonly payload: unknown;
  /** For requests: the channel replies go to, and the correlation id they carry. */
  readonly replyTo?: string;
  readonly deadline?: number;
}
