import { defineScenario, expect } from './scenario.js';

export default defineScenario({
  description: 'a client over its rate limit gets 429 with Retry-After; another client is not affected',
  async run(shop) {
    const greedy = await shop.as('c-bob');
    const answers = await Promise.all(Array.from({ length: 200 }, () => shop.order('c-bob', greedy)));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length > 0, 'no request was limited');
    expect(limited[0]!.body.code === 'RESOURCE_EXHAUSTED', `429 with code ${limited[0]!.body.code}`);
    shop.say(`${limited.length} of ${answers.length} requests limited (429 RESOURCE_EXHAUSTED)`);
    const other = await shop.order('c-alice');
    expect(other.status === 201 || other.status === 200, `another client got ${other.status}`);
    shop.say('another client is still served');
  },
});
