import { setTimeout as sleep } from 'node:timers/promises';
import { defineScenario, expect } from './scenario.js';

export default defineScenario({
  description:
    'a command is delivered twice (a relay that died between publishing and marking): the inbox skips the repeat',
  async run(shop) {
    const { body } = await shop.order('c-alice');
    expect((await shop.settled(body.orderId)).status === 'APPROVED', 'the order was not approved');
    const mine = `%${body.orderId}%`;
    // What a relay killed after the broker confirmed, but before it marked the rows, leaves behind.
    await shop.sql(
      'orders',
      `UPDATE sy_outbox SET published_at = NULL WHERE channel = 'accounting.commands' AND text(body) LIKE ?`,
      [mine],
    );
    shop.say(`AuthorizeCard of ${body.orderId} marked unsent in the orders outbox: the relay sends it again`);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [row] = await shop.sql(
        'orders',
        `SELECT published_at FROM sy_outbox WHERE channel = 'accounting.commands' AND text(body) LIKE ?`,
        [mine],
      );
      if (row?.published_at !== null && row?.published_at !== undefined) break;
      expect(Date.now() < deadline, `the relay did not send the command again (${JSON.stringify(row)})`);
      await sleep(100);
    }
    await sleep(1_000); // time for accounting to receive the repeat
    const events = await shop.sql(
      'accounting',
      `SELECT id FROM sy_outbox WHERE channel = 'accounting.events' AND text(body) LIKE ?`,
      [mine],
    );
    expect(events.length === 1, `accounting published ${events.length} CardAuthorized events for the order`);
    expect((await shop.settled(body.orderId)).status === 'APPROVED', 'the order changed');
    shop.say('sent twice, handled once: one authorization, one CardAuthorized, the order still APPROVED');
  },
});
