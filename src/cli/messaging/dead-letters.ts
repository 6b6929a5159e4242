import { SwitchyardError } from '../../errors/index.js';
import type { BrokerAdapter, PeekedMessage } from '../../messaging/adapter.js';
import { deadLetterGroup, deadLetterHeaders } from '../../messaging/bus/dead-letter.js';
import type { Io } from '../io.js';
import type { Message } from './messages.js';

// Reading a dead-letter channel X.dlq for `switchyard dlq`.

/** How many dead letters show, replay and purge look through. */
export const scanLimit = 10_000;
/**
 * A dead letter moved to the end of X.dlq needs a new broker id (engines de-duplicate on it); this
 * header keeps the id it is listed, shown and selected by.
 */
export const letterIdHeader = 'x-dlq-id';

export function letterId(message: Message): string {
  return message.headers[letterIdHeader] ?? message.id;
}

export type LetterError = { code?: string; message?: string; details?: unknown };

/** What the dead-letter headers say, `-` where one is missing. */
export function letterOf(message: Message) {
  const h = (name: string) => message.headers[name] ?? '-';
  let error: LetterError;
  try {
    error = JSON.parse(h(deadLetterHeaders.error)) as LetterError;
  } catch {
    error = { message: h(deadLetterHeaders.error) };
  }
  return {
    id: letterId(message),
    time: h(deadLetterHeaders.time),
    reason: h(deadLetterHeaders.reason),
    attempts: h(deadLetterHeaders.attempts),
    group: h(deadLetterHeaders.group),
    channel: h(deadLetterHeaders.channel),
    partition: h(deadLetterHeaders.partition),
    type: h('ce-type'),
    error,
  };
}

export const errorText = (e: LetterError) => [e.code, e.message].filter(Boolean).join(': ') || '-';

export interface DlqContext {
  readonly io: Io;
  readonly broker: BrokerAdapter;
  readonly dlq: string;
  readonly json: boolean;
}

/** The dead letters, oldest first, read without consuming them. */
export async function letters(ctx: DlqContext, limit: number): Promise<PeekedMessage[]> {
  try {
    return await ctx.broker.peek(ctx.dlq, deadLetterGroup, { limit });
  } catch (error) {
    if (SwitchyardError.is(error, 'NOT_FOUND') && error.details.group === undefined)
      throw new SwitchyardError(
        'NOT_FOUND',
        `${ctx.dlq} does not exist: nothing has been dead-lettered there on this broker (check --broker and --prefix)`,
        { details: { channel: ctx.dlq } },
      );
    throw error;
  }
}
