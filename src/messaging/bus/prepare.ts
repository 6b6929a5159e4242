import {
  commandChannel,
  eventChannel,
  messageType,
  validator,
  type AnyContract,
  type CommandDef,
  type EventDef,
} from '../../contract/index.js';
import type { Codec } from '../../codec/index.js';
import { childTrace, createEnvelope, metadataHeaderPrefix } from '../../envelope/index.js';
import { SwitchyardError } from '../../errors/index.js';
import type { OutgoingMessage } from '../adapter.js';
import { toOutgoing } from './encoding.js';
import type { PrepareInput, SendOptions } from './types.js';

export function definitionOf(contract: AnyContract, kind: 'command' | 'event', name: string) {
  const def: CommandDef | EventDef | undefined =
    kind === 'command' ? contract.commands[name] : contract.events[name];
  if (!def)
    throw new SwitchyardError('UNIMPLEMENTED', `${contract.name} has no ${kind} ${name}`, {
      details: { contract: contract.name, [kind]: name },
    });
  return def;
}

export function channelOf(contract: AnyContract, kind: 'command' | 'event', name: string): string {
  return kind === 'command' ? commandChannel(contract, name) : eventChannel(contract, name);
}

/**
 * Everything that happens to a message before it leaves: schema check (a bad payload fails here with
 * INVALID_ARGUMENT and nothing is sent), envelope with ids and the sender's trace and correlation,
 * partition key from the declared field, encoding and partitioning.
 */
export function prepareMessage(
  input: PrepareInput,
  options: SendOptions,
  env: { source: string; codec: Codec; partitionsOf: (channel: string) => number },
): OutgoingMessage {
  const { contract, kind, name, payload } = input;
  const def = definitionOf(contract, kind, name);
  const check = validator(def.payload);
  const data = check.withDefaults(payload);
  if (!check.check(data))
    throw new SwitchyardError('INVALID_ARGUMENT', `${contract.name}.${name}: invalid payload`, {
      details: { violations: check.violations(data) },
    });
  const parent = options.parent;
  const key = options.key ?? keyOf(def, data);
  const channel = channelOf(contract, kind, name);
  const envelope = createEnvelope({
    source: env.source,
    type: messageType(contract, name),
    data,
    subject: options.subject,
    correlationid: parent?.correlationId,
    causationid: parent?.id,
    ...(parent ? childTrace(parent.trace) : {}),
    replyto: input.replyTo,
    partitionkey: key,
    deadline: input.deadline,
  });
  if (envelope.correlationid === undefined) envelope.correlationid = envelope.id;
  const message = toOutgoing(envelope, { channel, partitions: env.partitionsOf(channel) }, env.codec);
  const metadata = parent?.metadata;
  if (!metadata || Object.keys(metadata).length === 0) return message;
  // The sender's call metadata (the caller's identity behind a gateway) reaches the handler's context.
  const headers: Record<string, string> = { ...message.headers };
  for (const key in metadata) headers[metadataHeaderPrefix + key] = metadata[key]!;
  return { ...message, headers };
}

function keyOf(def: CommandDef | EventDef, data: unknown): string | undefined {
  if (!def.partitionKey) return undefined;
  const value = (data as Record<string, unknown>)[def.partitionKey];
  return value === undefined || value === null ? undefined : String(value);
}
