import { defineScenario, expect } from './scenario.js';

export default defineScenario({
  description:
    'accounting is killed: payment commands wait in the broker and are all handled when it is back',
  async run(shop) {
    const before = (await shop.status()).find((r) => r.name === 'accounting-1');
    expect(before?.pid, 'accounting-1 is not running');
    await shop.signal('accounting-1', 'SIGKILL');
    shop.say('accounting-1 killed (SIGKILL)');
    const orders = await Promise.all(Array.from({ length: 5 }, () => shop.order('c-alice')));
    for (const { body } of orders) expect(body.status === 'PENDING', `order answered ${body.status}`);
    shop.say('5 orders PENDING while accounting is down');
    await shop.restarted('accounting-1', before.pid);
    shop.say('accounting-1 restarted by up');
    for (const { body } of orders) {
      const order = await shop.settled(body.orderId);
      expect(order.status === 'APPROVED', `order ${body.orderId} ended ${order.status}`);
    }
    shop.say('every order APPROVED: nothing was lost');
  },
});
