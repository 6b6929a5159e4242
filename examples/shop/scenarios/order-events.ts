import { setTimeout as sleep } from 'node:timers/promises';
import { defineScenario, expect } from './scenario.js';

export default defineScenario({
  description: "a consumer follows its orders' events over server-sent events, and sees nobody else's",
  async run(shop) {
    const controller = new AbortController();
    const stream = await fetch(`${shop.url}/v1/streams/orders`, {
      headers: { ...(await shop.as('c-alice')), accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(stream.status === 200, `the stream answered ${stream.status}`);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    await sleep(300); // subscribed before the orders are placed
    const daves = (await shop.order('c-dave')).body as { orderId: string };
    const alices = (await shop.order('c-alice')).body as { orderId: string };
    // The sample traffic orders for Alice too: wait for this order's approval in particular.
    const approved = new RegExp(`event: orderApproved\\ndata: [^\\n]*${alices.orderId}`);
    let seen = '';
    const deadline = Date.now() + 15_000;
    try {
      while (!approved.test(seen) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
    } finally {
      controller.abort();
    }
    expect(approved.test(seen), `no orderApproved for ${alices.orderId} in the stream`);
    expect(!seen.includes(daves.orderId), "Alice's stream showed Dave's order");
    shop.say(`Alice saw orderCreated and orderApproved of ${alices.orderId}, and nothing of Dave's`);
  },
});
