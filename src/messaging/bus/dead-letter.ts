import type { SwitchyardError } from '../../errors/index.js';
import type { Delivery, OutgoingMessage } from '../adapter.js';

/** Every channel's dead letters go to `<channel>.dlq`, one partition (inspected and replayed, not scaled). */
export function deadLetterChannel(channel: string): string {
  return `${channel}.dlq`;
}

export function isDeadLetterChannel(channel: string): boolean {
  return channel.endsWith('.dlq');
}

/** The group every dead-letter channel is declared with, so the CLI sees each dead letter once. */
export const deadLetterGroup = 'dlq';

/** Set on a replayed message: only the group it failed in handles it again; the others skip it. */
export const replayGroupHeader = 'x-replay-group';

/** Why a message was dead-lettered: a stable word for tooling, next to the error. */
export type DeadLetterReason =
  | 'handler-failed'
  | 'rejected'
  | 'undecodable'
  | 'invalid-payload'
  | 'unknown-type'
  | 'redelivered-too-often';

export const deadLetterHeaders = {
  reason: 'x-dlq-reason',
  error: 'x-dlq-error',
  attempts: 'x-dlq-attempts',
  deliveries: 'x-dlq-deliveries',
  channel: 'x-dlq-channel',
  partition: 'x-dlq-partition',
  group: 'x-dlq-group',
  time: 'x-dlq-time',
  /** The original id of a dead letter moved to the channel's tail by `dlq replay --id`. */
  id: 'x-dlq-id',
} as const;

export interface DeadLetterInput {
  readonly delivery: Pick<Delivery, 'channel' | 'partition' | 'id' | 'headers' | 'body' | 'deliveryCount'>;
  readonly group: string;
  readonly reason: DeadLetterReason;
  readonly error: SwitchyardError;
  /** Handler runs for the last delivery. */
  readonly attempts: number;
}

/**
 * The original message, unchanged (headers and body), plus why it failed. Its id is derived from the
 * original id and the group, so dead-lettering twice after a crash is de-duplicated where the engine
 * can, and two groups failing on the same message leave two dead letters.
 */
export function deadLetterOf(input: DeadLetterInput): OutgoingMessage {
  const { delivery, group, reason, error, attempts } = input;
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return {
    channel: deadLetterChannel(delivery.channel),
    partition: 0,
    id: `${delivery.id}.${group}`,
    body: delivery.body,
    headers: {
      ...delivery.headers,
      [deadLetterHeaders.reason]: reason,
      [deadLetterHeaders.error]: JSON.stringify({
        code: error.code,
        message: cause && error.message === 'Internal error' ? cause : error.message,
        ...(Object.keys(error.details).length > 0 ? { details: error.details } : {}),
      }),
      [deadLetterHeaders.attempts]: String(attempts),
      [deadLetterHeaders.deliveries]: String(delivery.deliveryCount),
      [deadLetterHeaders.channel]: delivery.channel,
      [deadLetterHeaders.partition]: String(delivery.partition),
      [deadLetterHeaders.group]: group,
      [deadLetterHeaders.time]: new Date().toISOString(),
    },
  };
}

/** What `dlq replay` sends back: the original message without the dead-letter headers. */
export function replayOf(
  deadLetter: Pick<Delivery, 'id' | 'headers' | 'body'>,
  partitionsOf: (channel: string) => number,
): OutgoingMessage {
  const headers: Record<string, string> = {};
  const dropped = new Set<string>(Object.values(deadLetterHeaders));
  for (const [name, value] of Object.entries(deadLetter.headers))
    if (!dropped.has(name)) headers[name] = value;
  const group = deadLetter.headers[deadLetterHeaders.group];
  if (group) headers[replayGroupHeader] = group;
  const channel = deadLetter.headers[deadLetterHeaders.channel];
  if (!channel) throw new Error(`dead letter ${deadLetter.id} does not name its channel`);
  const original = Number(deadLetter.headers[deadLetterHeaders.partition]);
  const partitions = partitionsOf(channel);
  const id = headers['ce-id'] ?? deadLetter.id;
  return {
    channel,
    partition: Number.isInteger(original) && original < partitions ? original : 0,
    // A replay is a new delivery of the same message: a fresh broker id so publish de-duplication
    // does not swallow it, while `ce-id` (what inboxes key on) stays the original.
    id: `${id}.replay.${Date.now()}`,
    headers,
    body: deadLetter.body,
  };
}
