import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { heartbeat } from './leases.js';
import { connect } from './link.js';
import { Ownership, slotsFor } from './ownership.js';
import { deleteKeys } from './purge.js';
import { keysFor } from './topology.js';

// The Redis server is shared with other test runs: this file uses its own prefix and deletes its keys.
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `sytest-${randomBytes(4).toString('hex')}`;
after(() => deleteKeys(url, `${prefix}:*`));

test('a partition marked for release while busy is kept when the share grows back', async () => {
  const redis = await connect({ url, name: 'ownership-test' });
  try {
    const keys = keysFor(prefix, 'orders');
    const leaseMs = 300;
    const group = 'g';
    const slots = slotsFor(keys, 4);
    const ownership = new Ownership(
      {
        command: async () => redis,
        keys,
        group,
        member: 'a',
        leaseMs,
        closed: () => false,
        emit: () => {},
        taken: () => {},
      },
      slots,
    );
    await ownership.tick();
    assert.deepEqual(
      ownership.owned().map((s) => s.p),
      [0, 1, 2, 3],
    );

    // A second member joins while partitions 2 and 3 have a message in flight: they are marked only.
    for (const slot of slots.slice(2)) slot.inFlight = true;
    const registry = { members: keys.members(group), load: keys.load(group) };
    await heartbeat(redis, registry, 'b', leaseMs, 0);
    await ownership.tick();
    assert.deepEqual(
      slots.map((s) => [s.owned, s.releasing]),
      [
        [true, false],
        [true, false],
        [true, true],
        [true, true],
      ],
    );

    // The second member dies before they settle: the share is all four again, and all are read.
    for (let waited = 0; waited <= leaseMs + 100; waited += leaseMs / 3) {
      await sleep(leaseMs / 3);
      await ownership.tick();
    }
    assert.deepEqual(
      slots.map((s) => [s.owned, s.releasing]),
      [
        [true, false],
        [true, false],
        [true, false],
        [true, false],
      ],
    );
    await ownership.relinquish();
  } finally {
    redis.disconnect();
  }
});
