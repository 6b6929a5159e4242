import { SwitchyardError } from '../../errors/index.js';
import type { BrokerAdapter, ChannelSpec } from '../../messaging/adapter.js';
import { isDeadLetterChannel } from '../../messaging/bus/dead-letter.js';
import { connectBroker, defaultBrokerUrl } from '../../messaging/connect.js';

// Shared by publish, tail and dlq. Kept to light imports: the contract index loads the schema
// compiler, which none of them needs to move and show messages.

/** Options every messaging command takes. */
export const brokerOptions = {
  broker: { type: 'string' },
  prefix: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const brokerHelp = `  --broker <url>       embedded:<file> | <file> | amqp[s]://… | nats://… | redis[s]://…
                       (default: $SWITCHYARD_BROKER, else the embedded broker .switchyard/broker.db)
  --prefix <prefix>    name prefix of the channels on RabbitMQ, JetStream and Redis (default: switchyard)`;

/** The messaging layer's default; a dead-letter channel always has one partition. */
export const defaultPartitions = (channel: string): number => (isDeadLetterChannel(channel) ? 1 : 8);

export function openBroker(values: { broker?: string; prefix?: string }): BrokerAdapter {
  return connectBroker(values.broker ?? defaultBrokerUrl(), {
    ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
  });
}

/**
 * Whether the channel exists, without creating it or touching a group: peek as a group nobody has
 * declared answers NOT_FOUND naming the group when the channel exists, and without it when not.
 */
export async function channelExists(broker: BrokerAdapter, channel: string): Promise<boolean> {
  try {
    await broker.peek(channel, `switchyard-probe-${process.pid}-${Date.now()}`, { limit: 1 });
    return true;
  } catch (error) {
    if (!SwitchyardError.is(error, 'NOT_FOUND')) throw error;
    return error.details.group !== undefined;
  }
}

/** `ensureChannel`, with the way out when the channel exists with another partition count. */
export async function ensureChannel(broker: BrokerAdapter, spec: ChannelSpec): Promise<void> {
  try {
    await broker.ensureChannel(spec);
  } catch (error) {
    if (!SwitchyardError.is(error, 'FAILED_PRECONDITION')) throw error;
    throw new SwitchyardError('FAILED_PRECONDITION', `${error.message}: pass --partitions with its count`, {
      details: error.details,
      cause: error,
    });
  }
}
