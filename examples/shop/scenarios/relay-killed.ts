import { setTimeout as sleep } from 'node:timers/promises';
import { defineScenario, expect } from './scenario.js';

export default defineScenario({
  description:
    'the orders relay stops: messages wait in the outbox (the backlog grows) and drain when it is back',
  async run(shop) {
    await shop.signal('orders-relay', 'SIGSTOP');
    shop.say('orders-relay frozen (SIGSTOP): nothing leaves the outbox');
    let orders: { body: { orderId: string; status: string } }[];
    try {
      orders = await Promise.all(Array.from({ length: 5 }, () => shop.order('c-alice')));
      for (const { body } of orders) expect(body.status === 'PENDING', `order answered ${body.status}`);
      await sleep(500);
      for (const { body } of orders) {
        const order = await shop.settled(body.orderId, 0);
        expect(order.status === 'PENDING', `order ${body.orderId} settled without its relay`);
      }
      shop.say('5 orders PENDING: their messages are in the outbox');
      const pid = (await shop.status()).find((r) => r.name === 'orders-relay')!.pid!;
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
      shop.say('orders-relay killed (SIGKILL)');
      await shop.restarted('orders-relay', pid);
      shop.say('orders-relay restarted by up');
    } finally {
      await shop.signal('orders-relay', 'SIGCONT').catch(() => undefined);
    }
    for (const { body } of orders) {
      const order = await shop.settled(body.orderId);
      expect(order.status === 'APPROVED', `order ${body.orderId} ended ${order.status}`);
    }
    // Approving an order writes its OrderApproved to the outbox too: the backlog reaches 0 just after.
    const deadline = Date.now() + 10_000;
    let backlog: number | null | undefined;
    for (;;) {
      backlog = (await shop.status()).find((r) => r.name === 'orders-relay')?.outboxBacklog;
      if (backlog === 0 || Date.now() > deadline) break;
      await sleep(200);
    }
    expect(backlog === 0, `the outbox backlog is ${backlog}, not 0`);
    shop.say('the backlog drained: every order APPROVED, backlog 0');
  },
});
