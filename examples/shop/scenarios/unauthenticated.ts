import { defineScenario, expect } from './scenario.js';

export default defineScenario({
  description: 'a request without a token, or with a forged one, is refused at the edge with 401',
  async run(shop) {
    const body = JSON.stringify({ consumerId: 'c-alice', restaurantId: 'r', lineItems: [] });
    for (const authorization of [undefined, 'Bearer not.a.token']) {
      const response = await fetch(`${shop.url}/v2/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body,
      });
      const problem = (await response.json()) as { code: string };
      expect(response.status === 401, `answered ${response.status}`);
      expect(problem.code === 'UNAUTHENTICATED', `code ${problem.code}`);
    }
    shop.say('no token and a forged token: 401 UNAUTHENTICATED, nothing reached the services');
  },
});
