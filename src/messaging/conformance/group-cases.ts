import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import type { Delivery } from '../adapter.js';
import type { SuiteContext } from './context.js';
import {
  allAssigned,
  duplicates,
  eventually,
  Member,
  orderViolations,
  publishAll,
  unique,
  workload,
} from './support.js';

/** Competing members, fan-out across groups, resuming after the last ack, declared and new groups. */
export function groupCases(ctx: SuiteContext): void {
  const { name, suiteCaps, takeoverMs, withChannel, soleMember } = ctx;

  it(
    'competing consumers: members of one group split the partitions and get every message once',
    { timeout: 60_000 },
    async () => {
      await withChannel(6, async (adapter, spec, track) => {
        const group = unique('g');
        const a = track(new Member(adapter, spec, group, unique('a')));
        await allAssigned([a], spec.partitions);
        const b = track(new Member(adapter, spec, group, unique('b')));
        if (suiteCaps.balancedAssignment) {
          await eventually(
            () =>
              a.assigned.size > 0 &&
              b.assigned.size > 0 &&
              a.assigned.size + b.assigned.size === spec.partitions,
            takeoverMs * 2,
            () => `a=[${[...a.assigned]}] b=[${[...b.assigned]}]`,
          );
          for (const p of a.assigned) assert.ok(!b.assigned.has(p), `partition ${p} held by both members`);
        }
        const messages = workload(spec, 30, 20); // 600
        await publishAll(adapter, messages);
        const total = () => a.received.length + b.received.length;
        await eventually(
          () => total() >= messages.length,
          30_000,
          () => `${total()} of ${messages.length}`,
        );
        await sleep(100);
        const all = [...a.ids(), ...b.ids()];
        assert.equal(all.length, messages.length);
        assert.deepEqual(duplicates(all), []);
        // No membership change while the messages flowed: each partition went to one member only.
        const aParts = new Set(a.received.map((r) => r.partition));
        for (const r of b.received)
          assert.ok(!aParts.has(r.partition), `partition ${r.partition} went to both members`);
        if (suiteCaps.balancedAssignment)
          assert.ok(a.received.length > 0 && b.received.length > 0, 'both members got work');
      });
    },
  );

  it('fan-out: every group receives every message', { timeout: 60_000 }, async () => {
    await withChannel(3, async (adapter, spec, track) => {
      const g1 = await soleMember(adapter, spec, track);
      const g2 = await soleMember(adapter, spec, track);
      const messages = workload(spec, 20, 15); // 300
      await publishAll(adapter, messages);
      for (const m of [g1, g2]) {
        await eventually(
          () => m.received.length >= messages.length,
          30_000,
          () => `${m.group}: ${m.received.length} of ${messages.length}`,
        );
      }
      await sleep(100);
      for (const m of [g1, g2]) {
        assert.equal(m.received.length, messages.length);
        assert.deepEqual(new Set(m.ids()), new Set(messages.map((x) => x.id)));
        assert.deepEqual(orderViolations(m.received), []);
      }
    });
  });

  it(
    'durability across consumer restarts: a reopened group continues after the last ack',
    { timeout: 60_000 },
    async () => {
      await withChannel(3, async (adapter, spec, track) => {
        const group = unique('g');
        const acked: string[] = [];
        const first = await soleMember(adapter, spec, track, group, async (d) => {
          if (acked.length < 100) {
            await d.ack();
            acked.push(d.id);
          } // later ones stay unacknowledged: they must come again
        });
        const before = workload(spec, 10, 20, 'a'); // 200
        await publishAll(adapter, before);
        await eventually(
          () => acked.length >= 100,
          20_000,
          () => `${acked.length} of 100 acked`,
        );
        await first.close();

        const after = workload(spec, 10, 10, 'b'); // 100 published while no member is open
        await publishAll(adapter, after);
        const second = await soleMember(adapter, spec, track, group);
        const expected = before.length + after.length - acked.length;
        await eventually(
          () => second.received.length >= expected,
          30_000,
          () => `${second.received.length} of ${expected}`,
        );
        await sleep(100);
        const ackedSet = new Set(acked);
        const repeated = second.ids().filter((id) => ackedSet.has(id));
        assert.deepEqual(repeated, [], 'acknowledged messages were delivered again');
        assert.deepEqual(duplicates(second.ids()), []);
        assert.deepEqual(
          new Set([...acked, ...second.ids()]),
          new Set([...before, ...after].map((x) => x.id)),
        );
        assert.deepEqual(orderViolations(second.received), []);
        // Per key, the second member starts right after the first member's last ack.
        const lastAcked = new Map<string, number>();
        for (const id of acked) {
          const [key, seq] = id.split(':') as [string, string];
          lastAcked.set(key, Math.max(lastAcked.get(key) ?? -1, Number(seq)));
        }
        const firstSeen = new Map<string, number>();
        for (const r of second.received) if (!firstSeen.has(r.key)) firstSeen.set(r.key, r.seq);
        for (const [key, seq] of lastAcked) {
          if (firstSeen.has(key))
            assert.equal(firstSeen.get(key), seq + 1, `key ${key} resumed at ${firstSeen.get(key)}`);
        }
      });
    },
  );

  it(
    'redelivers a message left unacknowledged by a closed member to the next owner',
    { timeout: 60_000 },
    async () => {
      await withChannel(1, async (adapter, spec, track) => {
        const group = unique('g');
        const held: Delivery[] = [];
        const a = await soleMember(adapter, spec, track, group, async (d) => void held.push(d));
        await adapter.publish(workload(spec, 1, 2));
        await eventually(
          () => held.length >= 1,
          10_000,
          () => 'delivery to the first member',
        );
        const b = track(new Member(adapter, spec, group, unique('b')));
        await a.close(); // gives the partition up with k0:0 unacknowledged
        await allAssigned([b], 1, takeoverMs);
        await eventually(
          () => b.received.length >= 2,
          takeoverMs + 10_000,
          () => `${b.received.length} of 2`,
        );
        assert.equal(b.received[0]!.id, 'k0:0');
        assert.ok(b.received[0]!.deliveryCount >= 2, `deliveryCount ${b.received[0]!.deliveryCount}`);
        assert.equal(b.received[1]!.id, 'k0:1');
        await held[0]!.ack().catch(() => {}); // a late ack from the old owner must not break anything
      });
    },
  );

  it('a new group receives messages published before it existed', { timeout: 30_000 }, async (t) => {
    if (!suiteCaps.historyForNewGroups) return t.skip(`${name}: historyForNewGroups is false`);
    await withChannel(2, async (adapter, spec, track) => {
      const messages = workload(spec, 5, 10);
      await publishAll(adapter, messages);
      const m = await soleMember(adapter, spec, track);
      await eventually(
        () => m.received.length >= messages.length,
        20_000,
        () => `${m.received.length} of ${messages.length}`,
      );
      assert.deepEqual(new Set(m.ids()), new Set(messages.map((x) => x.id)));
    });
  });

  it(
    'a group named in ChannelSpec.groups receives what is published before its first consume',
    { timeout: 30_000 },
    async () => {
      const group = unique('g');
      await withChannel(
        3,
        async (adapter, spec, track) => {
          const messages = workload(spec, 6, 5);
          await publishAll(adapter, messages, 7);
          // Another adapter (another process, in real life) declaring the same channel changes nothing.
          const other = await ctx.harness.create();
          try {
            await other.ensureChannel(spec);
          } finally {
            await other.close();
          }
          const m = await soleMember(adapter, spec, track, group);
          await eventually(
            () => m.received.length >= messages.length,
            20_000,
            () => `${m.received.length} of ${messages.length}`,
          );
          await sleep(100);
          assert.equal(m.received.length, messages.length);
          assert.deepEqual(new Set(m.ids()), new Set(messages.map((x) => x.id)));
          assert.deepEqual(orderViolations(m.received), []);
          assert.ok(m.received.every((r) => r.deliveryCount === 1));
        },
        { groups: [group] },
      );
    },
  );
}
