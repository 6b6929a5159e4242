import { Type, contract, operation } from 'switchyard/contract';

export const Notification = Type.Object({
  consumerId: Type.String(),
  orderId: Type.String(),
  text: Type.String(),
  sentAt: Type.String({ format: 'date-time' }),
});

export const NotificationsContract = contract({
  name: 'notifications',
  version: '1.0.0',
  description: 'Tells consumers how their orders ended (fire-and-forget)',
  snapshots: new URL('./snapshots/', import.meta.url),
  operations: {
    listNotifications: operation({
      input: Type.Object({ consumerId: Type.String({ minLength: 1 }) }),
      output: Type.Object({ notifications: Type.Array(Notification) }),
      http: { method: 'GET', path: '/consumers/:consumerId/notifications' },
      idempotent: true,
    }),
  },
});
