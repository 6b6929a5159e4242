import { defineScenario, expect } from './scenario.js';

export default defineScenario({
  description: 'An order is answered PENDING at once and APPROVED when the payment saga completes',
  async run(shop) {
    const { status, body } = await shop.order('c-alice');
    expect(status === 201 || status === 200, `createOrder answered ${status}`);
    expect(body.status === 'PENDING', `the order is ${body.status}, not PENDING`);
    shop.say(`order ${body.orderId} is PENDING`);
    const order = await shop.settled(body.orderId);
    expect(order.status === 'APPROVED', `the order ended ${order.status}`);
    shop.say('accounting authorized the card: APPROVED');
    const dave = await shop.order('c-dave');
    const refused = await shop.settled(dave.body.orderId);
    expect(refused.status === 'REJECTED', `Dave's order ended ${refused.status}`);
    shop.say(`Dave's card is refused: REJECTED (${refused.rejectionReason})`);
  },
});
