import { SwitchyardError } from 'switchyard/errors';
import { defineService } from 'switchyard/runtime';
import 'switchyard/messaging';
import { createInbox, openStore, type ServiceTransaction } from 'switchyard/transactional';
import { AccountingContract } from '../../contracts/accounting.js';
import { documents } from '../shared/documents.js';

/** Cards that are refused, by consumer: the shop's way to show an order REJECTED asynchronously. */
const refused: Readonly<Record<string, string>> = { 'c-dave': 'card expired' };

interface Authorization {
  readonly orderId: string;
  readonly authorized: boolean;
  readonly reason?: string;
}

/**
 * Answers AuthorizeCard commands. Each is handled once through the inbox: the authorization, the
 * processed message id and the CardAuthorized/CardDeclined event (in the outbox) commit together, so
 * a redelivered command gets the first answer again and publishes nothing twice.
 */
export default defineService(AccountingContract, async ({ messaging, config, onStop }) => {
  if (!config.database)
    throw new SwitchyardError(
      'FAILED_PRECONDITION',
      'accounting needs config.database (sqlite:… or postgres://…)',
    );
  const store = await openStore(config.database, { schema: config.schema ?? 'accounting' });
  const authorizations = await documents<Authorization>(store, 'authorizations');
  const inbox = createInbox<ServiceTransaction>({ store });
  const subscription = await messaging.handle(AccountingContract, {
    authorizeCard: inbox.handler(async ({ orderId, consumerId, amount }, ctx, _message, tx) => {
      const reason = refused[consumerId];
      const answer: Authorization = reason
        ? { orderId, authorized: false, reason }
        : { orderId, authorized: true };
      await authorizations.put(tx, orderId, answer);
      const sent = { sink: tx.outbox, parent: ctx };
      if (reason)
        await messaging.publish(AccountingContract, 'cardDeclined', { orderId, consumerId, reason }, sent);
      else
        await messaging.publish(AccountingContract, 'cardAuthorized', { orderId, consumerId, amount }, sent);
      return reason ? { authorized: false, reason } : { authorized: true };
    }),
  });
  onStop(async () => {
    await subscription.close();
    inbox.close();
    await store.close();
  });
  return {};
});
