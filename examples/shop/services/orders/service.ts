import { SwitchyardError } from 'switchyard/errors';
import { newId } from 'switchyard/envelope';
import { defineService } from 'switchyard/runtime';
import { ConsumersContract } from '../../contracts/consumers.js';
import { OrdersContract, type Order } from '../../contracts/orders.js';

type OrderRecord = typeof Order.static;

export default defineService(OrdersContract, () => {
  const orders = new Map<string, OrderRecord>();
  return {
    async createOrder(input, ctx) {
      const amount = input.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
      // Synchronous validation by the consumers service; inherits this call's deadline and trace.
      const verdict = await ctx.client(ConsumersContract).validateOrderForConsumer({
        consumerId: input.consumerId,
        orderTotal: amount,
      });
      const order: OrderRecord = {
        orderId: newId(),
        consumerId: input.consumerId,
        restaurantId: input.restaurantId,
        state: verdict.valid ? 'APPROVED' : 'REJECTED',
        items: input.items,
        total: { amount, currency: 'EUR' },
        ...(verdict.reason ? { rejectionReason: verdict.reason } : {}),
        createdAt: new Date().toISOString(),
      };
      orders.set(order.orderId, order);
      return order;
    },
    getOrder({ orderId }) {
      const order = orders.get(orderId);
      if (!order) throw new SwitchyardError('NOT_FOUND', `No order ${orderId}`, { details: { orderId } });
      return order;
    },
  };
});
