import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import type { Delivery, OutgoingMessage, PeekedMessage } from '../adapter.js';
import type { SuiteContext } from './context.js';
import {
  assertUnknownChannelAndGroup,
  eventually,
  orderViolations,
  publishAll,
  unique,
  workload,
} from './support.js';

/** What the suite compares of a message: everything but engine-specific extras. */
function view(m: OutgoingMessage | PeekedMessage) {
  const { channel, partition, id, headers } = m;
  return { channel, partition, id, headers: { ...headers }, body: Buffer.from(m.body).toString('utf8') };
}

/** The messages as peek lists them: partition after partition, publish order within each. */
function inPeekOrder(messages: readonly OutgoingMessage[]): OutgoingMessage[] {
  return [...messages].sort((a, b) => a.partition - b.partition);
}

const ids = (messages: readonly { id: string }[]) => messages.map((m) => m.id);

const isCode = (code: 'NOT_FOUND' | 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION') => (e: unknown) =>
  SwitchyardError.is(e, code);

/**
 * `peek`: a group's unacknowledged messages, read without consuming them. Where `passivePeek` is
 * false the cases check the documented cost instead (one delivery per message shown, consumed
 * partitions refused).
 */
export function peekCases(ctx: SuiteContext): void {
  const { withChannel, soleMember } = ctx;

  it(
    'peek shows what a declared group has not acknowledged, in order, and consumes nothing',
    { timeout: 30_000 },
    async () => {
      const group = unique('g');
      await withChannel(
        3,
        async (adapter, spec, track) => {
          const messages = workload(spec, 6, 4); // 24
          const before = Date.now();
          await publishAll(adapter, messages, 5);
          const first = await adapter.peek(spec.name, group, { limit: 1000 });
          assert.deepEqual(first.map(view), inPeekOrder(messages).map(view));
          for (const m of first)
            if (m.publishedAt !== undefined)
              assert.ok(Math.abs(m.publishedAt - before) < 60_000, `publishedAt ${m.publishedAt}`);
          const second = await adapter.peek(spec.name, group); // default limit (100)
          assert.deepEqual(ids(second), ids(first));
          const peeks = 2;

          const m = await soleMember(adapter, spec, track, group);
          await eventually(
            () => m.received.length >= messages.length,
            20_000,
            () => `${m.received.length} of ${messages.length}`,
          );
          assert.deepEqual(new Set(m.ids()), new Set(ids(messages)));
          assert.deepEqual(orderViolations(m.received), []);
          const expected = adapter.capabilities.passivePeek ? 1 : 1 + peeks;
          for (const r of m.received) assert.equal(r.deliveryCount, expected, `${r.id} deliveryCount`);
        },
        { groups: [group] },
      );
    },
  );

  it(
    'after acks peek shows only the rest; a message a member holds still shows (or is refused)',
    { timeout: 30_000 },
    async () => {
      await withChannel(1, async (adapter, spec, track) => {
        const group = unique('g');
        const held: Delivery[] = [];
        const m = await soleMember(adapter, spec, track, group, async (d) => {
          if (d.id === 'k0:2' && held.length === 0) held.push(d);
          else await d.ack();
        });
        await adapter.publish(workload(spec, 1, 5)); // k0:0 … k0:4
        await eventually(
          () => held.length >= 1,
          10_000,
          () => `${m.received.length} received, none held`,
        );
        const rest = ['k0:2', 'k0:3', 'k0:4'];

        if (adapter.capabilities.passivePeek) {
          assert.deepEqual(ids(await adapter.peek(spec.name, group)), rest);
          // Nothing moved: the held message settles as usual and the rest come for the first time.
          await held[0]!.ack();
          await eventually(
            () => m.received.length >= 5,
            10_000,
            () => `${m.received.length} of 5`,
          );
          assert.deepEqual(m.ids(), ['k0:0', 'k0:1', 'k0:2', 'k0:3', 'k0:4']);
          assert.ok(m.received.every((r) => r.deliveryCount === 1));
          assert.deepEqual(await adapter.peek(spec.name, group), []);
          return;
        }

        await assert.rejects(adapter.peek(spec.name, group), isCode('FAILED_PRECONDITION'));
        await m.close(); // the held message goes back to the partition
        assert.deepEqual(ids(await adapter.peek(spec.name, group)), rest);
        const next = await soleMember(adapter, spec, track, group);
        await eventually(
          () => next.received.length >= 3,
          10_000,
          () => `${next.received.length} of 3`,
        );
        assert.deepEqual(next.ids(), rest);
        // Delivered, returned on close, peeked once: 3; peeked once: 2.
        assert.deepEqual(
          next.received.map((r) => r.deliveryCount),
          [3, 2, 2],
        );
      });
    },
  );

  it('peek returns at most limit messages, a prefix of the full list', { timeout: 30_000 }, async () => {
    const group = unique('g');
    await withChannel(
      2,
      async (adapter, spec) => {
        const messages = workload(spec, 4, 5); // 20
        await publishAll(adapter, messages);
        const all = await adapter.peek(spec.name, group, { limit: 1000 });
        assert.deepEqual(ids(all), ids(inPeekOrder(messages)));
        for (const limit of [1, 7]) {
          const some = await adapter.peek(spec.name, group, { limit });
          assert.deepEqual(ids(some), ids(all).slice(0, limit), `limit ${limit}`);
        }
        for (const limit of [0, -1, 1.5])
          await assert.rejects(adapter.peek(spec.name, group, { limit }), isCode('INVALID_ARGUMENT'));
      },
      { groups: [group] },
    );
  });

  it(
    'peek on an unknown channel or group is NOT_FOUND, details.group telling which',
    { timeout: 30_000 },
    async () => {
      await withChannel(2, async (adapter, spec) => {
        await assertUnknownChannelAndGroup((c, g) => adapter.peek(c, g), spec.name);
      });
    },
  );
}
