import { SwitchyardError } from '../errors/index.js';
import type { OutgoingMessage } from '../messaging/adapter.js';

/** Rejects what a relay could never publish, at write time, so a bad message fails its own transaction. */
export function assertOutgoing(message: OutgoingMessage): void {
  const problem =
    typeof message.channel !== 'string' || message.channel.length === 0
      ? 'channel must be a non-empty string'
      : !Number.isInteger(message.partition) || message.partition < 0
        ? 'partition must be a non-negative integer'
        : typeof message.id !== 'string' || message.id.length === 0
          ? 'id must be a non-empty string'
          : !(message.body instanceof Uint8Array)
            ? 'body must be a Uint8Array'
            : typeof message.headers !== 'object' || message.headers === null
              ? 'headers must be an object'
              : Object.values(message.headers).some((v) => typeof v !== 'string')
                ? 'header values must be strings'
                : undefined;
  if (problem)
    throw new SwitchyardError('INVALID_ARGUMENT', `Cannot write this message to the outbox: ${problem}`, {
      details: { channel: message.channel, id: message.id },
    });
}

export function bufferOf(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** An outbox row as the message the relay publishes (the one the code wrote, unchanged). */
export function messageOf(row: {
  channel: string;
  partition: number;
  message_id: string;
  headers: Record<string, string>;
  body: Uint8Array;
}): OutgoingMessage {
  return {
    channel: row.channel,
    partition: row.partition,
    id: row.message_id,
    headers: row.headers,
    body: row.body,
  };
}
