import { defineService } from 'switchyard/runtime';
import 'switchyard/messaging';
import { NotificationsContract, type Notification } from '../../contracts/notifications.js';
import { OrdersContract } from '../../contracts/orders.js';

type NotificationRecord = typeof Notification.static;

/** Tells consumers how their orders ended; orders sends these fire-and-forget. */
export default defineService(NotificationsContract, async ({ messaging }) => {
  const sent: NotificationRecord[] = [];
  const send = (consumerId: string, orderId: string, text: string) =>
    void sent.push({ consumerId, orderId, text, sentAt: new Date().toISOString() });
  await messaging.subscribe(OrdersContract, {
    orderApproved: ({ consumerId, orderId }) => send(consumerId, orderId, 'Your order is confirmed'),
    orderRejected: ({ consumerId, orderId, reason }) =>
      send(consumerId, orderId, `Your order was refused: ${reason}`),
  });
  return {
    listNotifications: ({ consumerId }) => ({
      notifications: sent.filter((n) => n.consumerId === consumerId),
    }),
  };
});
