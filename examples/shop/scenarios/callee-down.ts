import { setTimeout as sleep } from 'node:timers/promises';
import { defineScenario, expect } from './scenario.js';

export default defineScenario({
  description:
    'consumers stops answering: the breaker opens, orders are taken through the fallback, and validation comes back when it recovers',
  async run(shop) {
    await shop.signal('consumers-1', 'SIGSTOP'); // alive but silent: every call times out
    shop.say('consumers-1 frozen (SIGSTOP)');
    try {
      const times: number[] = [];
      for (let i = 0; i < 8; i++) {
        const started = Date.now();
        const { status, body } = await shop.order('c-carol'); // inactive: consumers would refuse her
        times.push(Date.now() - started);
        expect(status === 201 || status === 200, `createOrder answered ${status} while consumers is down`);
        expect(body.status === 'PENDING', `the fallback should accept the order, got ${body.status}`);
      }
      shop.say(`orders taken through the fallback; answer times ${times.join(', ')} ms`);
      expect(
        times.at(-1)! < 1_000,
        'with the breaker open, the fallback answers without waiting for a timeout',
      );
    } finally {
      await shop.signal('consumers-1', 'SIGCONT');
    }
    shop.say('consumers-1 resumed (SIGCONT); waiting for the breaker to let calls through');
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { body } = await shop.order('c-carol');
      if (body.status === 'REJECTED') break;
      expect(Date.now() < deadline, 'validation did not come back after consumers recovered');
      await sleep(500);
    }
    shop.say('recovered: Carol is refused again by the consumers service');
  },
});
