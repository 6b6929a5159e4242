import { defineScenario, expect, type StatusRow } from './scenario.js';

const callers = 200;

/** createOrder calls each orders instance served, from the status table's counters. */
const served = (rows: readonly StatusRow[], name: string) => rows.find((r) => r.name === name)?.requests ?? 0;

export default defineScenario({
  description: 'the orders-canary flag at 10% sends a tenth of the callers to the canary instance of orders',
  async run(shop) {
    const before = await shop.status();
    // One order from each of many callers: the flag buckets callers by token subject.
    for (let i = 0; i < callers; i += 20)
      await Promise.all(
        Array.from({ length: 20 }, async (_, j) => {
          const { status } = await shop.order('c-alice', await shop.as(`canary-caller-${i + j}`));
          expect(status === 201 || status === 200, `createOrder answered ${status}`);
        }),
      );
    const after = await shop.status();
    const canary = served(after, 'orders-canary-1') - served(before, 'orders-canary-1');
    const stable = served(after, 'orders-1') - served(before, 'orders-1');
    shop.say(`${canary} of ${canary + stable} orders served by the canary`);
    expect(canary + stable >= callers, `only ${canary + stable} createOrder calls counted`);
    const share = canary / (canary + stable);
    expect(share > 0.04 && share < 0.2, `the canary served ${(share * 100).toFixed(1)}%, not about 10%`);
  },
});
