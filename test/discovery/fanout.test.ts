import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeHub, type FakeHub } from './fake-hub.js';
import { measureFanout } from './fanout.js';

describe('registry fan-out (fake hub)', () => {
  let hub: FakeHub;
  before(async () => {
    hub = await startFakeHub();
  });
  after(() => hub.stop());

  it('a change to a 200-instance service reaches 20 watching resolvers within 1 s', async (t) => {
    const latencies = await measureFanout({
      url: hub.url,
      service: 'orders',
      instances: 200,
      watchers: 20,
      changes: 5,
    });
    t.diagnostic(`change → all 20 watchers (ms): ${latencies.join(', ')}`);
    assert.ok(Math.max(...latencies) < 1000, `slowest change took ${Math.max(...latencies)} ms`);
  });
});
