import { validator, type AnyContract, type CommandDef, type EventDef } from '../../contract/index.js';
import type { Codec } from '../../codec/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { metadataFromHeaders } from '../../envelope/index.js';
import { Context, type Host } from '../../runtime/index.js';
import { fullJitter } from '../../internal/backoff.js';
import type { Delivery, OutgoingMessage } from '../adapter.js';
import { deadLetterOf, replayGroupHeader, type DeadLetterReason } from './dead-letter.js';
import { attributesOf, decodeBody, type DecodedAttributes } from './encoding.js';
import { replyMessage } from './replies.js';
import type { MessageHandler, MessagingEvent, ReceivedMessage } from './types.js';

/** A handler for one message type on a channel. */
export interface Route {
  readonly contract: AnyContract;
  readonly name: string;
  readonly def: CommandDef | EventDef;
  readonly handler: MessageHandler<unknown, unknown>;
}

export interface PipelineSettings {
  readonly channel: string;
  readonly group: string;
  /** Commands: an unknown type is a dead letter. Events: a type nobody here handles is skipped. */
  readonly kind: 'command' | 'event';
  readonly routes: ReadonlyMap<string, Route>;
  readonly source: string;
  readonly codec: Codec;
  readonly codecs: readonly Codec[];
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxDeliveries: number;
  readonly host?: Host | undefined;
  /** Sends dead letters (their channel is created on first use). */
  readonly publish: (messages: readonly OutgoingMessage[]) => Promise<void>;
  /** Sends a reply to the channel its requester created. */
  readonly reply: (message: OutgoingMessage) => Promise<void>;
  readonly emit: (event: MessagingEvent) => void;
  /** Aborted when the subscription closes: a handler waiting to retry gives the message back. */
  readonly closing: AbortSignal;
}

/** How long a message waits before redelivery when its dead letter or reply could not be sent. */
const settleRetryMs = 1_000;

type Outcome =
  | { kind: 'done'; reply?: { ok: true; value: unknown } | { ok: false; error: SwitchyardError } }
  | { kind: 'dead'; reason: DeadLetterReason; error: SwitchyardError; attempts: number; replyError?: boolean }
  | { kind: 'skip'; reason: string }
  | { kind: 'give-back' };

/**
 * One delivery from arrival to settlement. The message is acknowledged only after its handler
 * succeeded and its reply (if asked for) was sent; a failing handler runs again in this process with
 * backoff up to the attempt limit, then the message goes to the dead-letter channel and the partition
 * moves on. What cannot be decoded or fails its schema is dead-lettered at once: retrying cannot fix it.
 */
export async function processDelivery(delivery: Delivery, settings: PipelineSettings): Promise<void> {
  const attributes = attributesOf(delivery);
  const outcome = await handle(delivery, attributes, settings);
  try {
    await settle(delivery, attributes, outcome, settings);
  } catch {
    // The broker refused the dead letter or the reply: keep the message, try again later.
    await delivery.nak(settleRetryMs).catch(() => undefined);
  }
}

/**
 * A message that came without a broker (broker-less delivery over HTTP): the same decoding,
 * validation, handler and in-process retries, but nothing to acknowledge and no dead-letter channel:
 * the outcome goes back to the sender, who decides.
 */
export async function dispatchMessage(
  message: { channel: string; headers: Readonly<Record<string, string>>; body: Uint8Array },
  settings: PipelineSettings,
): Promise<{ reply?: unknown }> {
  const attributes = attributesOf(message);
  const delivery: Delivery = {
    ...message,
    partition: 0,
    id: attributes.id ?? '',
    deliveryCount: 1,
    ack: () => Promise.resolve(),
    nak: () => Promise.resolve(),
  };
  // The sender waits on the HTTP response: that is where the reply (or the refusal) goes.
  const outcome = await handle(delivery, { ...attributes, replyto: 'direct' }, settings);
  switch (outcome.kind) {
    case 'done':
      if (outcome.reply && !outcome.reply.ok) throw outcome.reply.error;
      return outcome.reply ? { reply: outcome.reply.value } : {};
    case 'skip':
      return {};
    case 'give-back':
      throw new SwitchyardError('UNAVAILABLE', 'The receiver is shutting down');
    case 'dead':
      throw outcome.error;
  }
}

async function handle(
  delivery: Delivery,
  attributes: DecodedAttributes,
  settings: PipelineSettings,
): Promise<Outcome> {
  const replayGroup = delivery.headers[replayGroupHeader];
  if (replayGroup !== undefined && replayGroup !== settings.group)
    return { kind: 'skip', reason: `replayed for group ${replayGroup}` };
  if (delivery.deliveryCount > settings.maxDeliveries)
    return dead('redelivered-too-often', 'ABORTED', `Delivered ${delivery.deliveryCount} times unsettled`, 0);
  const route = attributes.type ? settings.routes.get(attributes.type) : undefined;
  if (!route) {
    if (settings.kind === 'event') return { kind: 'skip', reason: `no handler for ${attributes.type}` };
    return dead('unknown-type', 'UNIMPLEMENTED', `No handler for message type ${attributes.type}`, 0, true);
  }
  let payload: unknown;
  try {
    payload = decodeBody(delivery, settings.codecs);
  } catch (error) {
    return {
      kind: 'dead',
      reason: 'undecodable',
      error: SwitchyardError.from(error),
      attempts: 0,
      replyError: true,
    };
  }
  const check = validator(route.def.payload);
  payload = check.withDefaults(payload);
  if (!check.check(payload))
    return {
      kind: 'dead',
      reason: 'invalid-payload',
      error: new SwitchyardError('INVALID_ARGUMENT', `${attributes.type}: invalid payload`, {
        details: { violations: check.violations(payload) },
      }),
      attempts: 0,
      replyError: true,
    };
  if (attributes.replyto && attributes.deadline !== undefined && attributes.deadline <= Date.now())
    return { kind: 'skip', reason: 'the request expired before it was handled' };
  return run(route, payload, delivery, attributes, settings);
}

async function run(
  route: Route,
  payload: unknown,
  delivery: Delivery,
  attributes: DecodedAttributes,
  settings: PipelineSettings,
): Promise<Outcome> {
  const replyCheck = route.def.kind === 'command' && route.def.reply ? validator(route.def.reply) : undefined;
  for (let attempt = 1; ; attempt++) {
    const ctx = new Context({
      id: attributes.id ?? delivery.id,
      correlationId: attributes.correlationid,
      causationId: attributes.causationid,
      ...(attributes.traceparent
        ? { trace: { traceparent: attributes.traceparent, tracestate: attributes.tracestate } }
        : {}),
      deadline: attributes.replyto ? attributes.deadline : undefined,
      metadata: metadataFromHeaders(delivery.headers),
      attempt,
      ...(settings.host ? { clients: settings.host } : {}),
    });
    try {
      const value = await route.handler(payload, ctx, received(delivery, attributes, settings, attempt));
      if (replyCheck && !replyCheck.check(value))
        return {
          kind: 'dead',
          reason: 'handler-failed',
          error: new SwitchyardError('INTERNAL', `${attributes.type} produced an invalid reply`, {
            details: { violations: replyCheck.violations(value) },
          }),
          attempts: attempt,
          replyError: true,
        };
      return { kind: 'done', ...(attributes.replyto ? { reply: { ok: true, value } } : {}) };
    } catch (thrown) {
      const error = SwitchyardError.from(thrown);
      const permanent = thrown instanceof SwitchyardError && !thrown.retryable;
      if (permanent) {
        settings.emit({ type: 'handler-error', channel: settings.channel, messageId: delivery.id, error });
        // A request's business error is its answer; a one-way message that is refused is a dead letter.
        if (attributes.replyto) return { kind: 'done', reply: { ok: false, error } };
        return { kind: 'dead', reason: 'rejected', error, attempts: attempt };
      }
      if (attempt >= settings.attempts)
        return { kind: 'dead', reason: 'handler-failed', error, attempts: attempt, replyError: true };
      settings.emit({ type: 'retrying', channel: settings.channel, messageId: delivery.id, attempt, error });
      const waited = await sleep(
        fullJitter(attempt, settings.initialDelayMs, settings.maxDelayMs),
        settings.closing,
      );
      if (!waited) return { kind: 'give-back' };
    }
  }
}

async function settle(
  delivery: Delivery,
  attributes: DecodedAttributes,
  outcome: Outcome,
  settings: PipelineSettings,
): Promise<void> {
  const replyTo = attributes.replyto;
  const request =
    replyTo && attributes.id ? { ...attributes, replyto: replyTo, id: attributes.id } : undefined;
  switch (outcome.kind) {
    case 'give-back':
      return delivery.nak();
    case 'skip':
      settings.emit({
        type: 'skipped',
        channel: settings.channel,
        messageId: delivery.id,
        reason: outcome.reason,
      });
      return delivery.ack();
    case 'done':
      if (request && outcome.reply) await sendReply(request, outcome.reply, settings);
      return delivery.ack();
    case 'dead': {
      const { reason, error, attempts } = outcome;
      await settings.publish([deadLetterOf({ delivery, group: settings.group, reason, error, attempts })]);
      if (request && outcome.replyError) await sendReply(request, { ok: false, error }, settings);
      settings.emit({
        type: 'dead-lettered',
        channel: settings.channel,
        messageId: delivery.id,
        reason,
        error,
      });
      return delivery.ack();
    }
  }
}

/**
 * A reply that cannot be sent is retried (the message is given back) while its requester may still be
 * waiting; past the request's deadline nobody is, so it is dropped and the request acknowledged.
 */
async function sendReply(
  request: DecodedAttributes & { replyto: string; id: string },
  outcome: { ok: true; value: unknown } | { ok: false; error: SwitchyardError },
  settings: PipelineSettings,
): Promise<void> {
  try {
    await settings.reply(replyMessage(request, settings.source, outcome, settings.codec));
  } catch (error) {
    if (request.deadline === undefined || request.deadline > Date.now()) throw error;
    settings.emit({
      type: 'skipped',
      channel: settings.channel,
      messageId: request.id,
      reason: 'the reply could not be sent and its requester stopped waiting',
    });
  }
}

function dead(
  reason: DeadLetterReason,
  code: 'ABORTED' | 'UNIMPLEMENTED',
  message: string,
  attempts: number,
  replyError = false,
): Outcome {
  return { kind: 'dead', reason, error: new SwitchyardError(code, message), attempts, replyError };
}

function received(
  delivery: Delivery,
  attributes: DecodedAttributes,
  settings: PipelineSettings,
  attempt: number,
): ReceivedMessage {
  return {
    id: attributes.id ?? delivery.id,
    type: attributes.type ?? '',
    source: attributes.source ?? '',
    channel: delivery.channel,
    partition: delivery.partition,
    group: settings.group,
    key: attributes.partitionkey,
    deliveryCount: delivery.deliveryCount,
    attempt,
    headers: delivery.headers,
  };
}

/** Resolves true after `ms`, or false at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
