import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import type { Delivery } from '../adapter.js';
import type { SuiteContext } from './context.js';
import { duplicates, eventually, keyed, orderViolations, publishAll, unique, workload } from './support.js';

/** Order within a partition, per-key order across partitions, one in flight per partition, `nak` delays. */
export function deliveryCases(ctx: SuiteContext): void {
  const { name, takeoverMs, withChannel, soleMember } = ctx;

  it('delivers the messages of a partition in publish order', { timeout: 30_000 }, async () => {
    await withChannel(1, async (adapter, spec, track) => {
      const m = await soleMember(adapter, spec, track);
      const messages = workload(spec, 1, 200);
      await publishAll(adapter, messages, 7); // several batches, odd size
      await eventually(
        () => m.received.length >= 200,
        15_000,
        () => `${m.received.length} of 200`,
      );
      assert.deepEqual(
        m.ids(),
        messages.map((x) => x.id),
      );
      assert.ok(m.received.every((r) => r.deliveryCount === 1 && r.partition === 0));
    });
  });

  it(
    'keeps per-key order across partitions and delivers each message exactly once when all are acked',
    { timeout: 60_000 },
    async () => {
      await withChannel(8, async (adapter, spec, track) => {
        // A handler that yields at random points, so partitions interleave.
        const m = await soleMember(adapter, spec, track, unique('g'), async (d) => {
          if (Math.random() < 0.2) await sleep(1);
          await d.ack();
        });
        const messages = workload(spec, 50, 30); // 1500 messages
        await publishAll(adapter, messages);
        await eventually(
          () => m.received.length >= messages.length,
          40_000,
          () => `${m.received.length} of ${messages.length}`,
        );
        await sleep(100); // nothing more may arrive
        assert.equal(m.received.length, messages.length);
        assert.deepEqual(duplicates(m.ids()), []);
        assert.deepEqual(orderViolations(m.received), []);
        for (const r of m.received) assert.equal(r.partition, keyed(spec, r.key, r.seq).partition);
        assert.ok(new Set(m.received.map((r) => r.partition)).size > 1, 'keys spread over partitions');
      });
    },
  );

  it(
    'holds one message in flight per partition; nak(delay) redelivers the same message first',
    { timeout: 30_000 },
    async () => {
      await withChannel(1, async (adapter, spec, track) => {
        const pending: Delivery[] = [];
        const m = await soleMember(adapter, spec, track, unique('g'), async (d) => void pending.push(d));
        await adapter.publish(workload(spec, 1, 3));
        await eventually(
          () => pending.length >= 1,
          10_000,
          () => 'first delivery',
        );
        await sleep(300);
        assert.equal(pending.length, 1, 'the second message came before the first was settled');
        const first = pending.shift()!;
        assert.equal(first.id, 'k0:0');
        assert.equal(first.deliveryCount, 1);

        const nakAt = Date.now();
        await first.nak(200);
        await eventually(
          () => pending.length >= 1,
          10_000,
          () => 'redelivery',
        );
        assert.ok(
          Date.now() - nakAt >= 150,
          `redelivered after ${Date.now() - nakAt} ms, before the 200 ms delay`,
        );
        const again = pending.shift()!;
        assert.equal(again.id, 'k0:0');
        assert.equal(again.deliveryCount, 2);
        await sleep(100);
        assert.equal(pending.length, 0, 'the next message came before the redelivered one was settled');

        await again.ack();
        await eventually(
          () => pending.length >= 1,
          10_000,
          () => 'second message',
        );
        const second = pending.shift()!;
        assert.equal(second.id, 'k0:1');
        assert.equal(second.deliveryCount, 1);
        await second.ack();
        await eventually(
          () => pending.length >= 1,
          10_000,
          () => 'third message',
        );
        await pending.shift()!.ack();
        assert.deepEqual(m.ids(), ['k0:0', 'k0:0', 'k0:1', 'k0:2']);
      });
    },
  );

  it('nak delay is held by the engine across a change of owner', { timeout: 30_000 }, async (t) => {
    await withChannel(1, async (adapter, spec, track) => {
      if (!ctx.caps()?.brokerSideDelay) return t.skip(`${name}: brokerSideDelay is false`);
      const group = unique('g');
      const held: Delivery[] = [];
      const a = await soleMember(adapter, spec, track, group, async (d) => void held.push(d));
      await adapter.publish([keyed(spec, 'k', 0)]);
      await eventually(
        () => held.length >= 1,
        10_000,
        () => 'first delivery',
      );
      const nakAt = Date.now();
      await held[0]!.nak(1500);
      await a.close();
      const b = await soleMember(adapter, spec, track, group);
      await eventually(
        () => b.received.length >= 1,
        takeoverMs + 10_000,
        () => 'redelivery',
      );
      assert.ok(
        Date.now() - nakAt >= 1400,
        `redelivered after ${Date.now() - nakAt} ms, before the 1500 ms delay`,
      );
      assert.equal(b.received[0]!.deliveryCount, 2);
    });
  });
}
