import type { MessageHandler, ReceivedMessage } from '../messaging/bus/types.js';
import type { Context } from '../runtime/index.js';
import { SwitchyardError } from '../errors/index.js';
import { startCleanup } from './cleanup.js';
import { reporter, type Reporting } from './events.js';
import type { OutboxTransaction, TransactionalStore } from './types.js';

export interface InboxOptions<Tx extends OutboxTransaction> extends Reporting {
  readonly store: TransactionalStore<Tx>;
  /** How often processed ids past retention are deleted; default 60 s, 0 never. */
  readonly cleanupIntervalMs?: number;
}

/** A handler that also gets the transaction its message id is recorded in. */
export type TransactionalHandler<P, R, Tx> = (
  payload: P,
  ctx: Context,
  message: ReceivedMessage,
  tx: Tx,
) => R | Promise<R>;

export interface InboxOutcome<R> {
  /** True when the id was already recorded: `fn` did not run, and `result` is what the first run stored. */
  readonly duplicate: boolean;
  readonly result: R | undefined;
}

export interface Inbox<Tx extends OutboxTransaction> {
  /**
   * Wraps a bus handler: in one transaction the message id is recorded for the consumer group and the
   * handler runs (its writes and its outbox messages on `tx`). A message already recorded is skipped
   * (and so acknowledged) with the reply the first run returned; a handler that throws rolls back
   * both, so the redelivery runs it again.
   */
  handler<P, R>(fn: TransactionalHandler<P, R, Tx>): MessageHandler<P, R>;
  /** The same below the bus (adapter deliveries, other consumers): `group` and `messageId` identify it. */
  process<R>(
    key: { readonly group: string; readonly messageId: string },
    fn: (tx: Tx) => R | Promise<R>,
  ): Promise<InboxOutcome<R>>;
  /** Stops the retention timer. */
  close(): void;
}

/** Duplicate detection by processed message ids stored in the same transaction as the handler's effect. */
export function createInbox<Tx extends OutboxTransaction>(options: InboxOptions<Tx>): Inbox<Tx> {
  const { store } = options;
  const emit = reporter(options);
  const cleanup = startCleanup(store, options.cleanupIntervalMs ?? 60_000, emit);

  async function process<R>(
    key: { readonly group: string; readonly messageId: string },
    fn: (tx: Tx) => R | Promise<R>,
  ): Promise<InboxOutcome<R>> {
    const { group, messageId } = key;
    if (!group || !messageId)
      throw new SwitchyardError('INVALID_ARGUMENT', 'The inbox needs a consumer group and a message id', {
        details: { group, messageId },
      });
    const outcome = await store.transaction(async (tx): Promise<InboxOutcome<R>> => {
      const claim = await store.inbox.claim(tx, group, messageId);
      if (!claim.first) return { duplicate: true, result: claim.result as R | undefined };
      const result = await fn(tx);
      await store.inbox.saveResult(tx, group, messageId, result);
      return { duplicate: false, result };
    });
    emit({ type: outcome.duplicate ? 'inbox-duplicate' : 'inbox-processed', group, messageId });
    return outcome;
  }

  return {
    handler<P, R>(fn: TransactionalHandler<P, R, Tx>): MessageHandler<P, R> {
      return async (payload, ctx, message) => {
        const outcome = await process({ group: message.group, messageId: message.id }, (tx) =>
          fn(payload, ctx, message, tx),
        );
        return outcome.result as R;
      };
    },
    process,
    close: () => cleanup.stop(),
  };
}
