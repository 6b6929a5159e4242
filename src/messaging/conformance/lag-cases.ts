import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerAdapter, Delivery } from '../adapter.js';
import type { SuiteContext } from './context.js';
import { assertUnknownChannelAndGroup, eventually, publishAll, unique, workload } from './support.js';

/** Polls `lag` until it is `expected`: engines update their counters asynchronously (acks, JetStream). */
async function lagBecomes(adapter: BrokerAdapter, channel: string, group: string, expected: number) {
  const deadline = Date.now() + 10_000;
  let last: number | undefined;
  while ((last = await adapter.lag!(channel, group)) !== expected) {
    if (Date.now() > deadline) assert.fail(`lag of ${group} on ${channel}: ${last}, expected ${expected}`);
    await sleep(50);
  }
}

/**
 * `lag`: how many messages of a channel a group has not acknowledged, from the engine's bookkeeping.
 * Skipped for an adapter without `lag`; where `lagReadyOnly` is true a message a member holds is not
 * counted, and the cases expect exactly that.
 */
export function lagCases(ctx: SuiteContext): void {
  const { name, withChannel, soleMember } = ctx;

  it(
    'lag is what a declared group has not acknowledged, all partitions summed',
    { timeout: 30_000 },
    async (t) => {
      const group = unique('g');
      await withChannel(
        3,
        async (adapter, spec) => {
          if (!adapter.lag) return t.skip(`${name}: the adapter has no lag`);
          assert.equal(await adapter.lag(spec.name, group), 0);
          const messages = workload(spec, 6, 4); // 24
          assert.ok(new Set(messages.map((m) => m.partition)).size > 1, 'the workload spans partitions');
          await publishAll(adapter, messages, 5);
          await lagBecomes(adapter, spec.name, group, messages.length);
        },
        { groups: [group] },
      );
    },
  );

  it(
    'acknowledged messages leave the lag; one a member holds stays in it',
    { timeout: 30_000 },
    async (t) => {
      await withChannel(2, async (adapter, spec, track) => {
        if (!adapter.lag) return t.skip(`${name}: the adapter has no lag`);
        const group = unique('g');
        const held: Delivery[] = [];
        // Partition 0 is acknowledged as it comes; partition 1 stops at its first message, held unsettled.
        const m = await soleMember(adapter, spec, track, group, async (d) => {
          if (d.partition === 1 && held.length === 0) held.push(d);
          else await d.ack();
        });
        // Published once the member holds both partitions, so the group's queues hold only these.
        const messages = workload(spec, 8, 3);
        const acked = messages.filter((msg) => msg.partition === 0).length;
        const rest = messages.length - acked;
        assert.ok(acked > 0 && rest > 0, 'the workload spans both partitions');
        await publishAll(adapter, messages);
        await eventually(
          () => m.received.length >= acked + 1,
          10_000,
          () => `${m.received.length} of ${acked + 1} received`,
        );
        await lagBecomes(adapter, spec.name, group, adapter.capabilities.lagReadyOnly ? rest - 1 : rest);
        await held[0]!.ack();
        await lagBecomes(adapter, spec.name, group, 0);
        assert.equal(m.received.length, messages.length);
      });
    },
  );

  it('lag of an unknown channel or group is NOT_FOUND, like peek', { timeout: 30_000 }, async (t) => {
    await withChannel(2, async (adapter, spec) => {
      if (!adapter.lag) return t.skip(`${name}: the adapter has no lag`);
      await assertUnknownChannelAndGroup((c, g) => adapter.lag!(c, g), spec.name);
    });
  });
}
