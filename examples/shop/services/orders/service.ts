import { SwitchyardError } from 'switchyard/errors';
import { newId } from 'switchyard/envelope';
import { defineService, type Context } from 'switchyard/runtime';
import 'switchyard/messaging';
import { createInbox, openStore, type ServiceTransaction } from 'switchyard/transactional';
import { AccountingContract } from '../../contracts/accounting.js';
import { ConsumersContract } from '../../contracts/consumers.js';
import { OrdersContract, type Order } from '../../contracts/orders.js';
import { documents } from '../shared/documents.js';

type OrderRecord = typeof Order.static;

/**
 * The order saga. createOrder answers PENDING at once; in the same transaction as the order it writes
 * OrderCreated and the AuthorizeCard command to the outbox, which a relay moves to the broker.
 * Accounting's CardAuthorized/CardDeclined events settle the order (through the inbox, so a repeated
 * event changes nothing), and OrderApproved/OrderRejected leave through the outbox again.
 */
export default defineService(OrdersContract, async ({ messaging, config, onStop }) => {
  if (!config.database)
    throw new SwitchyardError(
      'FAILED_PRECONDITION',
      'orders needs config.database (sqlite:… or postgres://…)',
    );
  const store = await openStore(config.database, { schema: config.schema ?? 'orders' });
  const orders = await documents<OrderRecord>(store, 'orders');
  const inbox = createInbox<ServiceTransaction>({ store });

  async function settle(
    tx: ServiceTransaction,
    ctx: Context,
    orderId: string,
    outcome: { approved: true } | { approved: false; reason: string },
  ): Promise<void> {
    const order = await orders.getIn(tx, orderId);
    if (!order || order.status !== 'PENDING') return; // settled before, or not ours
    const sent = { sink: tx.outbox, parent: ctx };
    const { consumerId } = order;
    if (outcome.approved) {
      await orders.put(tx, orderId, { ...order, status: 'APPROVED' });
      await messaging.publish(OrdersContract, 'orderApproved', { orderId, consumerId }, sent);
    } else {
      await orders.put(tx, orderId, { ...order, status: 'REJECTED', rejectionReason: outcome.reason });
      await messaging.publish(
        OrdersContract,
        'orderRejected',
        { orderId, consumerId, reason: outcome.reason },
        sent,
      );
    }
  }

  const subscription = await messaging.subscribe(AccountingContract, {
    cardAuthorized: inbox.handler((payload, ctx, _message, tx) =>
      settle(tx, ctx, payload.orderId, { approved: true }),
    ),
    cardDeclined: inbox.handler((payload, ctx, _message, tx) =>
      settle(tx, ctx, payload.orderId, { approved: false, reason: payload.reason }),
    ),
  });
  onStop(async () => {
    await subscription.close();
    inbox.close();
    await store.close();
  });

  return {
    async createOrder(input, ctx) {
      const amount = input.lineItems.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
      // Synchronous validation by the consumers service; inherits this call's deadline and trace.
      const verdict = await ctx.client(ConsumersContract).validateOrderForConsumer({
        consumerId: input.consumerId,
        orderTotal: amount,
      });
      const order: OrderRecord = {
        orderId: newId(),
        consumerId: input.consumerId,
        restaurantId: input.restaurantId,
        status: verdict.valid ? 'PENDING' : 'REJECTED',
        lineItems: input.lineItems,
        total: { amount, currency: 'EUR' },
        ...(verdict.reason ? { rejectionReason: verdict.reason } : {}),
        createdAt: new Date().toISOString(),
      };
      const { orderId, consumerId, restaurantId, lineItems: items, total } = order;
      await store.transaction(async (tx) => {
        await orders.put(tx, orderId, order);
        if (!verdict.valid) return;
        const sent = { sink: tx.outbox, parent: ctx };
        await messaging.publish(
          OrdersContract,
          'orderCreated',
          { orderId, consumerId, restaurantId, items, total },
          sent,
        );
        // One-way: the answer comes back as an accounting event, which any orders instance can handle.
        await messaging.send(AccountingContract, 'authorizeCard', { orderId, consumerId, amount }, sent);
      });
      return order;
    },
    async getOrder({ orderId }) {
      const order = await orders.get(orderId);
      if (!order) throw new SwitchyardError('NOT_FOUND', `No order ${orderId}`, { details: { orderId } });
      return order;
    },
  };
});
