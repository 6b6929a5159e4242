import { randomUUID } from 'node:crypto';
import { messageType, type AnyContract } from '../../contract/index.js';
import { defaultCodecs, json } from '../../codec/index.js';
import { SwitchyardError } from '../../errors/index.js';
import type { ChannelSpec, OutgoingMessage } from '../adapter.js';
import { deadLetterChannel, deadLetterGroup, isDeadLetterChannel } from './dead-letter.js';
import { dispatchMessage, processDelivery, type PipelineSettings, type Route } from './pipeline.js';
import { channelOf, prepareMessage } from './prepare.js';
import { ReplyInbox } from './replies.js';
import { startSubscription } from './subscription.js';
import type {
  GatheredReply,
  Messaging,
  MessagingEvent,
  MessagingOptions,
  PrepareInput,
  RequestOptions,
  SendOptions,
  Subscription,
  SubscribeOptions,
} from './types.js';

const defaults = {
  partitions: 8,
  attempts: 3,
  initialDelayMs: 100,
  maxDelayMs: 5_000,
  maxDeliveries: 10,
  concurrency: 16,
  replyRetentionMs: 10 * 60_000,
  replyIdleExpiryMs: 5 * 60_000,
  requestTimeoutMs: 30_000,
};

/**
 * The typed messaging API over one broker adapter: commands, events, notifications, requests with
 * async replies and gathered responses, consumers with retries and dead letters. The semantics are
 * defined here once; the adapters only move bytes with the guarantees of `adapter.ts`.
 */
export function createMessaging(options: MessagingOptions): Messaging {
  const { broker, service } = options;
  const instance = options.instance ?? `${service}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const codec = options.codec ?? json;
  const codecs =
    options.codecs ?? (defaultCodecs.includes(codec) ? defaultCodecs : [codec, ...defaultCodecs]);
  const emit = (event: MessagingEvent) => options.onEvent?.(event);
  const ensured = new Map<string, Promise<void>>();
  const subscriptions = new Set<Subscription>();
  /** The subset of `subscriptions` that consumes from the broker (not `consume: false`). */
  const consuming = new Set<Subscription>();
  const replyChannel = `${service}.replies.${instance}`;
  const replies = new ReplyInbox(broker, replyChannel, codecs, instance);
  /** What `dispatch` runs for messages that arrive without a broker, by channel. */
  const direct = new Map<string, PipelineSettings>();
  let closed = false;

  function partitionsOf(channel: string): number {
    const configured = options.channels?.[channel]?.partitions;
    if (configured !== undefined) return configured;
    // Dead letters are inspected and replayed, replies are matched by id: neither needs ordering by key.
    if (isDeadLetterChannel(channel) || channel === replyChannel) return 1;
    return options.defaultPartitions ?? defaults.partitions;
  }

  function specOf(channel: string, groups: readonly string[] = []): ChannelSpec {
    const settings = options.channels?.[channel];
    const retentionMs =
      channel === replyChannel
        ? (options.replyRetentionMs ?? defaults.replyRetentionMs)
        : settings?.retentionMs;
    const allGroups = [...(settings?.groups ?? []), ...groups];
    return {
      name: channel,
      partitions: partitionsOf(channel),
      ...(retentionMs === undefined ? {} : { retentionMs }),
      ...(channel === replyChannel
        ? { idleExpiryMs: options.replyIdleExpiryMs ?? defaults.replyIdleExpiryMs }
        : {}),
      ...(allGroups.length > 0 ? { groups: allGroups } : {}),
    };
  }

  /** Creates each channel once per process; a group joining later is declared with its own call. */
  function ensure(channel: string, groups: readonly string[] = []): Promise<void> {
    const key = `${channel}\u0000${groups.join(',')}`;
    let done = ensured.get(key);
    if (!done) {
      done = broker.ensureChannel(specOf(channel, groups));
      done.catch(() => ensured.delete(key));
      ensured.set(key, done);
    }
    return done;
  }

  function assertOpen(): void {
    if (closed) throw new SwitchyardError('FAILED_PRECONDITION', 'Messaging is closed');
  }

  function prepare(input: PrepareInput, sendOptions: SendOptions = {}): OutgoingMessage {
    return prepareMessage(input, sendOptions, { source: service, codec, partitionsOf });
  }

  async function deliver(message: OutgoingMessage, sendOptions: SendOptions): Promise<void> {
    assertOpen();
    await ensure(message.channel);
    await (sendOptions.sink ?? broker).publish([message]);
  }

  async function ask(
    contract: AnyContract,
    command: string,
    payload: unknown,
    requestOptions: RequestOptions,
    expected: number,
  ): Promise<GatheredReply<unknown>[]> {
    assertOpen();
    await replies.start(() => ensure(replyChannel, [instance]), specOf(replyChannel));
    const timeout = requestOptions.timeoutMs ?? defaults.requestTimeoutMs;
    const deadline = Math.min(Date.now() + timeout, requestOptions.parent?.deadline ?? Infinity);
    if (deadline <= Date.now())
      throw new SwitchyardError('DEADLINE_EXCEEDED', 'The deadline expired before sending');
    const message = prepare(
      { contract, kind: 'command', name: command, payload, replyTo: replyChannel, deadline },
      requestOptions,
    );
    const waiting = replies.wait(message.id, expected, deadline);
    try {
      await deliver(message, requestOptions);
    } catch (error) {
      replies.cancel(message.id);
      throw error;
    }
    return waiting;
  }

  function routesOf(contract: AnyContract, kind: 'command' | 'event', handlers: Record<string, unknown>) {
    const byChannel = new Map<string, Map<string, Route>>();
    for (const [name, handler] of Object.entries(handlers)) {
      if (typeof handler !== 'function') continue;
      const def = kind === 'command' ? contract.commands[name] : contract.events[name];
      if (!def) throw new SwitchyardError('INVALID_ARGUMENT', `${contract.name} has no ${kind} ${name}`);
      const channel = channelOf(contract, kind, name);
      const routes = byChannel.get(channel) ?? new Map<string, Route>();
      routes.set(messageType(contract, name), { contract, name, def, handler: handler as Route['handler'] });
      byChannel.set(channel, routes);
    }
    if (byChannel.size === 0)
      throw new SwitchyardError('INVALID_ARGUMENT', `No ${kind} handlers given for ${contract.name}`);
    return byChannel;
  }

  function pipelineFor(
    channel: string,
    group: string,
    kind: 'command' | 'event',
    routes: ReadonlyMap<string, Route>,
    closing: AbortSignal,
  ): PipelineSettings {
    return {
      channel,
      group,
      kind,
      routes,
      source: service,
      codec,
      codecs,
      attempts: options.retry?.attempts ?? defaults.attempts,
      initialDelayMs: options.retry?.initialDelayMs ?? defaults.initialDelayMs,
      maxDelayMs: options.retry?.maxDelayMs ?? defaults.maxDelayMs,
      maxDeliveries: options.maxDeliveries ?? defaults.maxDeliveries,
      host: options.host,
      publish: async (messages) => {
        for (const m of messages) await ensure(m.channel);
        await broker.publish(messages);
      },
      reply: (message) => broker.publish([message]),
      emit,
      closing,
    };
  }

  async function consume(
    contract: AnyContract,
    kind: 'command' | 'event',
    handlers: Record<string, unknown>,
    subscribeOptions: SubscribeOptions,
  ): Promise<Subscription> {
    assertOpen();
    const group = subscribeOptions.group ?? service;
    const parts: Subscription[] = [];
    const closing = new AbortController();
    const byChannel = routesOf(contract, kind, handlers);
    for (const [channel, routes] of byChannel) {
      const pipeline = pipelineFor(channel, group, kind, routes, closing.signal);
      direct.set(channel, pipeline);
      if (subscribeOptions.consume === false) continue;
      await ensure(channel, [group]);
      await ensure(deadLetterChannel(channel), [deadLetterGroup]);
      parts.push(
        startSubscription({
          broker,
          spec: specOf(channel),
          group,
          member: `${instance}.${group}`,
          concurrency: options.concurrency ?? defaults.concurrency,
          closing,
          onConsumerError: (error) =>
            emit({ type: 'consumer-error', channel, error: SwitchyardError.from(error) }),
          process: (delivery) => processDelivery(delivery, pipeline),
        }),
      );
    }
    const channels = [...byChannel.keys()];
    const subscription: Subscription = {
      channels,
      group,
      async close() {
        subscriptions.delete(subscription);
        consuming.delete(subscription);
        closing.abort();
        for (const channel of channels) direct.delete(channel);
        await Promise.all(parts.map((p) => p.close()));
      },
    };
    subscriptions.add(subscription);
    if (subscribeOptions.consume !== false) consuming.add(subscription);
    return subscription;
  }

  return {
    service,
    instance,
    prepare,
    send: async (contract, command, payload, sendOptions = {}) =>
      deliver(prepare({ contract, kind: 'command', name: command, payload }, sendOptions), sendOptions),
    publish: async (contract, event, payload, sendOptions = {}) =>
      deliver(prepare({ contract, kind: 'event', name: event, payload }, sendOptions), sendOptions),
    notify(contract, event, payload, sendOptions = {}) {
      let message: OutgoingMessage;
      try {
        message = prepare({ contract, kind: 'event', name: event, payload }, sendOptions);
      } catch (error) {
        emit({
          type: 'notify-failed',
          channel: channelOf(contract, 'event', event),
          messageId: '',
          error: SwitchyardError.from(error),
        });
        return;
      }
      deliver(message, sendOptions).catch((error: unknown) =>
        emit({
          type: 'notify-failed',
          channel: message.channel,
          messageId: message.id,
          error: SwitchyardError.from(error),
        }),
      );
    },
    async request(contract, command, payload, requestOptions = {}) {
      const [answer] = await ask(contract, command, payload, requestOptions, 1);
      if (!answer)
        throw new SwitchyardError(
          'DEADLINE_EXCEEDED',
          `No reply to ${contract.name}.${command} before the deadline`,
        );
      if (answer.error) throw answer.error;
      return answer.reply as never;
    },
    gather: (contract, command, payload, gatherOptions = {}) =>
      ask(contract, command, payload, gatherOptions, gatherOptions.count ?? Infinity) as never,
    handle: (contract, handlers, subscribeOptions = {}) =>
      consume(contract, 'command', handlers as Record<string, unknown>, subscribeOptions),
    subscribe: (contract, handlers, subscribeOptions = {}) =>
      consume(contract, 'event', handlers as Record<string, unknown>, subscribeOptions),
    dispatch(message) {
      const pipeline = direct.get(message.channel);
      if (!pipeline)
        return Promise.reject(
          new SwitchyardError(
            'NOT_FOUND',
            `${service} does not handle messages of channel ${message.channel}`,
          ),
        );
      return dispatchMessage(message, pipeline);
    },
    subscriptions: () => [...consuming].map(({ channels, group }) => ({ channels, group })),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      await replies.close();
      if (ensured.has(`${replyChannel}\u0000${instance}`))
        await broker.deleteChannel(replyChannel).catch(() => undefined);
    },
  };
}
