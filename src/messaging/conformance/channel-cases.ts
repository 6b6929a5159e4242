import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import type { ChannelSpec } from '../adapter.js';
import type { SuiteContext } from './context.js';
import { duplicates, eventually, keyed, unique, workload } from './support.js';

/**
 * Channel semantics every adapter shares, and publish de-duplication where declared:
 * - `publish` to a channel that was never `ensureChannel`ed rejects with SwitchyardError NOT_FOUND
 *   (no auto-creation: the partition count must come from the channel's owner);
 * - `publish` to a partition outside `0 … partitions-1` rejects with OUT_OF_RANGE;
 * - `ensureChannel` is idempotent and rejects a different partition count with FAILED_PRECONDITION;
 * - a consumer declaring a different partition count fails its iteration with FAILED_PRECONDITION
 *   (retrying cannot fix it: the application must hear it rather than wait forever).
 */
export function channelCases(ctx: SuiteContext): void {
  const { name, harness, withChannel, soleMember } = ctx;

  it(
    'channel errors: unknown channel, partition out of range, ensureChannel idempotent and strict',
    { timeout: 30_000 },
    async () => {
      await withChannel(3, async (adapter, spec) => {
        const missing: ChannelSpec = { name: unique('missing'), partitions: 3 };
        await assert.rejects(adapter.publish([keyed(missing, 'k', 0)]), (e: unknown) =>
          SwitchyardError.is(e, 'NOT_FOUND'),
        );
        await assert.rejects(adapter.publish([{ ...keyed(spec, 'k', 0), partition: 3 }]), (e: unknown) =>
          SwitchyardError.is(e, 'OUT_OF_RANGE'),
        );
        await adapter.ensureChannel(spec);
        await adapter.ensureChannel({ ...spec });
        await assert.rejects(adapter.ensureChannel({ ...spec, partitions: 4 }), (e: unknown) =>
          SwitchyardError.is(e, 'FAILED_PRECONDITION'),
        );
        // A second adapter (another process, in real life) sees the same channel.
        const other = await harness.create();
        try {
          await other.ensureChannel(spec);
          await assert.rejects(other.ensureChannel({ ...spec, partitions: 2 }), (e: unknown) =>
            SwitchyardError.is(e, 'FAILED_PRECONDITION'),
          );
          await other.publish([keyed(spec, 'k', 0)]);
        } finally {
          await other.close();
        }
      });
    },
  );

  it(
    'a consumer of a channel with another partition count fails its iteration with FAILED_PRECONDITION',
    { timeout: 30_000 },
    async () => {
      await withChannel(2, async (adapter, spec) => {
        await adapter.ensureChannel(spec);
        const consumer = adapter.consume({
          channel: { ...spec, partitions: 3 },
          group: unique('g'),
          member: unique('member'),
        });
        try {
          await assert.rejects(consumer[Symbol.asyncIterator]().next(), (e: unknown) =>
            SwitchyardError.is(e, 'FAILED_PRECONDITION'),
          );
        } finally {
          await consumer.close();
        }
      });
    },
  );

  it('publish de-duplication by message id', { timeout: 30_000 }, async (t) => {
    await withChannel(2, async (adapter, spec, track) => {
      if (!ctx.caps()?.publishDedup) return t.skip(`${name}: publishDedup is false`);
      const m = await soleMember(adapter, spec, track);
      const messages = workload(spec, 5, 4);
      await adapter.publish(messages);
      await adapter.publish(messages.slice(0, 10)); // a retried batch
      await adapter.publish([...messages.slice(5, 10), keyed(spec, 'z', 0)]);
      await eventually(
        () => m.received.length >= messages.length + 1,
        20_000,
        () => `${m.received.length}`,
      );
      await sleep(200);
      assert.equal(m.received.length, messages.length + 1);
      assert.deepEqual(duplicates(m.ids()), []);
    });
  });
}
