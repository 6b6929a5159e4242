import { defineScenario, expect } from './scenario.js';

export default defineScenario({
  description: 'a v1 client keeps working through the version adapter and is told v1 is deprecated',
  async run(shop) {
    const response = await fetch(`${shop.url}/v1/orders`, {
      method: 'POST',
      headers: await shop.as('c-alice'),
      body: JSON.stringify({
        consumerId: 'c-alice',
        restaurantId: 'r-ajanta',
        items: [{ menuItemId: 'naan', quantity: 1, unitPrice: 300 }],
      }),
    });
    const order = (await response.json()) as { orderId: string; state?: string; status?: string };
    expect(response.ok, `POST /v1/orders answered ${response.status}`);
    expect(order.state === 'PENDING' && order.status === undefined, 'the answer is not in v1 words');
    const deprecation = response.headers.get('deprecation');
    const sunset = response.headers.get('sunset');
    expect(deprecation && sunset, 'no Deprecation or Sunset header');
    shop.say(`v1 answered in v1 words; Deprecation: ${deprecation}, Sunset: ${sunset}`);
    shop.say(`Link: ${response.headers.get('link')}`);
  },
});
