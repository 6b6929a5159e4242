import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import type { OutgoingMessage } from '../adapter.js';
import type { SuiteContext } from './context.js';
import {
  ackAll,
  allAssigned,
  eventually,
  Member,
  orderViolations,
  publishAll,
  unique,
  workload,
} from './support.js';

const sortedIds = (items: readonly { id: string }[]) => items.map((m) => m.id).sort();

/**
 * Where a new group starts (`ConsumerOptions.start`), removing a group (`deleteGroup`), and a channel
 * removed once nobody consumes it (`ChannelSpec.idleExpiryMs`), and a group removed once it has no
 * member (`ConsumerOptions.idleExpiryMs`).
 */
export function lifecycleCases(ctx: SuiteContext): void {
  const { suiteCaps, withChannel, soleMember, expiryLagMs } = ctx;

  it(
    "a new group started at 'end' gets only what comes next, and resumes from its position later",
    { timeout: 60_000 },
    async () => {
      await withChannel(3, async (adapter, spec, track) => {
        const group = unique('g');
        await publishAll(adapter, workload(spec, 6, 5, 'old'));
        const atEnd = () => track(new Member(adapter, spec, group, unique('m'), undefined, { start: 'end' }));
        const first = atEnd();
        await allAssigned([first], spec.partitions);
        const fresh = workload(spec, 6, 5, 'new');
        await publishAll(adapter, fresh);
        await eventually(
          () => first.received.length >= fresh.length,
          20_000,
          () => `${first.received.length} of ${fresh.length}`,
        );
        await sleep(200);
        assert.deepEqual(first.ids().sort(), sortedIds(fresh), 'nothing from before the group started');
        await first.close();

        // Published while the group has no member: it has a position now, so `start` no longer applies.
        const missed = workload(spec, 6, 5, 'gap');
        await publishAll(adapter, missed);
        const second = atEnd();
        await eventually(
          () => second.received.length >= missed.length,
          20_000,
          () => `${second.received.length} of ${missed.length}`,
        );
        await sleep(200);
        assert.deepEqual(second.ids().sort(), sortedIds(missed));
        assert.deepEqual(orderViolations(second.received), []);
      });
    },
  );

  it(
    'deleteGroup removes one group with its backlog and unacknowledged messages; other groups keep theirs',
    { timeout: 60_000 },
    async () => {
      const kept = unique('g');
      const doomed = unique('g');
      await withChannel(
        2,
        async (adapter, spec, track) => {
          const backlog = workload(spec, 4, 5, 'b');
          await publishAll(adapter, backlog);
          // The doomed group acknowledges a few and holds one per partition unacknowledged.
          let acked = 0;
          const before = await soleMember(adapter, spec, track, doomed, async (d) => {
            if (acked < 5) {
              acked++;
              await d.ack();
            }
          });
          await eventually(
            () => acked === 5 && before.received.length >= 5 + spec.partitions,
            20_000,
            () => `${acked} acked, ${before.received.length} received`,
          );
          await before.close();

          await adapter.deleteGroup(spec.name, doomed);
          await assert.rejects(adapter.peek(spec.name, doomed), (e: unknown) => {
            assert.ok(SwitchyardError.is(e, 'NOT_FOUND'), String(e));
            assert.equal(e.details.group, doomed);
            return true;
          });
          // Nothing left to remove: still resolves, as for a group or channel that never existed.
          await adapter.deleteGroup(spec.name, doomed);
          await adapter.deleteGroup(spec.name, unique('never'));
          await adapter.deleteGroup(unique('no-channel'), doomed);

          const other = await soleMember(adapter, spec, track, kept);
          await eventually(
            () => other.received.length >= backlog.length,
            20_000,
            () => `${kept}: ${other.received.length} of ${backlog.length}`,
          );
          await sleep(100);
          assert.deepEqual(other.ids().sort(), sortedIds(backlog));

          // The name consumed again is a new group: no position, no redeliveries.
          const again = await soleMember(adapter, spec, track, doomed);
          const next = workload(spec, 4, 5, 'n');
          await publishAll(adapter, next);
          const expected: OutgoingMessage[] = suiteCaps.historyForNewGroups ? [...backlog, ...next] : next;
          await eventually(
            () => again.received.length >= expected.length,
            20_000,
            () => `${doomed} again: ${again.received.length} of ${expected.length}`,
          );
          await sleep(200);
          assert.deepEqual(again.ids().sort(), sortedIds(expected));
          assert.ok(
            again.received.every((r) => r.deliveryCount === 1),
            'a delivery of the deleted group was counted again',
          );
        },
        { groups: [kept, doomed] },
      );
    },
  );

  it(
    'a channel with idleExpiryMs lives while consumed and is removed once nobody consumes it',
    { timeout: 90_000 },
    async (t) => {
      const idleExpiryMs = 2_000;
      await withChannel(
        1,
        async (adapter, spec, track) => {
          if (!adapter.capabilities.idleExpiry) return t.skip(`${ctx.name}: idleExpiry is false`);
          const member = await soleMember(adapter, spec, track);
          // Over two periods with a member: still there, and it delivers.
          await sleep(idleExpiryMs * 2.5);
          await adapter.publish(workload(spec, 1, 1));
          await eventually(
            () => member.received.length === 1,
            10_000,
            () => 'delivery after two expiry periods with a member',
          );
          // Closed without deleting anything, as a crashed process leaves it.
          await member.close();
          const deadline = Date.now() + idleExpiryMs + expiryLagMs;
          for (;;) {
            const gone = await adapter.peek(spec.name, member.group).then(
              () => false,
              (e: unknown) => SwitchyardError.is(e, 'NOT_FOUND') && e.details.group === undefined,
            );
            if (gone) break;
            assert.ok(Date.now() < deadline, `${spec.name} was not removed`);
            await sleep(200);
          }
          // A late publish (a reply to a process long gone) fails, and does not bring the channel back.
          await assert.rejects(adapter.publish(workload(spec, 1, 1, 'late')), (e: unknown) =>
            SwitchyardError.is(e, 'NOT_FOUND'),
          );
          await assert.rejects(adapter.peek(spec.name, member.group), (e: unknown) =>
            SwitchyardError.is(e, 'NOT_FOUND'),
          );
        },
        { idleExpiryMs },
      );
    },
  );

  it(
    'a group consumed with idleExpiryMs lives while consumed and is removed once it has no member',
    { timeout: 90_000 },
    async (t) => {
      const idleExpiryMs = 2_000;
      const kept = unique('kept');
      await withChannel(
        2,
        async (adapter, spec, track) => {
          if (!adapter.capabilities.groupIdleExpiry) return t.skip(`${ctx.name}: groupIdleExpiry is false`);
          const throwaway = unique('g');
          const member = track(
            new Member(adapter, spec, throwaway, unique('member'), ackAll, { start: 'end', idleExpiryMs }),
          );
          await allAssigned([member], spec.partitions);
          // Over two periods with a member: still there, and it delivers.
          await sleep(idleExpiryMs * 2.5);
          await publishAll(adapter, workload(spec, 2, 1));
          await eventually(
            () => member.received.length === 2,
            10_000,
            () => `delivered after two expiry periods with a member: ${member.received.length} of 2`,
          );
          // Closed without deleting anything, as a killed process leaves it; later messages pile up for it.
          await member.close();
          await publishAll(adapter, workload(spec, 2, 2, 'after'));
          const deadline = Date.now() + idleExpiryMs + expiryLagMs;
          for (;;) {
            const gone = await adapter.peek(spec.name, throwaway).then(
              () => false,
              (e: unknown) => SwitchyardError.is(e, 'NOT_FOUND') && e.details.group === throwaway,
            );
            if (gone) break;
            assert.ok(Date.now() < deadline, `group ${throwaway} was not removed`);
            await sleep(200);
          }
          // The channel and its other group are untouched.
          assert.equal((await adapter.peek(spec.name, kept)).length, 6);
        },
        { groups: [kept] },
      );
    },
  );
}
