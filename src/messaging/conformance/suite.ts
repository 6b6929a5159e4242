import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import type { BrokerAdapter, Capabilities, ChannelSpec, Delivery } from '../adapter.js';
import {
  allAssigned,
  duplicates,
  eventually,
  keyed,
  Member,
  orderViolations,
  publishAll,
  retrying,
  unique,
  workload,
  type Received,
} from './support.js';

/**
 * What the suite knows about an adapter beyond the seam's `Capabilities`. The seam's flags come from
 * `adapter.capabilities`; these come from the harness. A case is skipped only when a flag says the
 * adapter lacks the feature, and the skip message names the flag.
 *
 * Seam flags (`adapter.capabilities`), and what the suite does with them:
 * - `publishDedup`: publishing a message id already published (inside the adapter's window) is
 *   accepted and delivered once. Tested only when true.
 * - `persistent`: acknowledged-as-published messages survive an engine restart. The restart case
 *   runs only when true AND the harness has `restartEngine`.
 * - `brokerSideDelay`: `nak(delayMs)` is held by the engine: a member that closes after a nak does
 *   not make the message available to the next owner before the delay. Tested only when true; the
 *   in-process delay (redelivery no sooner than the delay) is tested for every adapter.
 */
export interface SuiteCapabilities {
  /**
   * Two live members of a group split the partitions between them (embedded leases, Redis leases).
   * False for engines that give every partition to the first subscriber and move it only when that
   * member goes (RabbitMQ single active consumer). Either way each partition has one owner at a time.
   * Default true.
   */
  readonly balancedAssignment?: boolean;
  /**
   * A group that consumes for the first time receives messages published before it existed (a log
   * with retention). False when a group only receives what is published after its first consumer
   * subscribed (RabbitMQ queues). Default false; the other cases never depend on it: they open
   * their consumers and wait for `assigned` before publishing.
   */
  readonly historyForNewGroups?: boolean;
}

export interface BrokerHarness {
  /** A new adapter connected to the engine under test; the suite closes it. */
  create(): Promise<BrokerAdapter>;
  /**
   * Absolute path of a module exporting `createAdapter(): Promise<BrokerAdapter>`, loaded by the
   * member processes of the kill-and-rebalance case (`member-process.ts`).
   */
  childModule: string;
  /** Extra environment for member processes (engine URL, SQLite file, lease time). */
  childEnv?: Record<string, string>;
  /** Stops and starts the engine the adapter talks to; absent: the engine-restart case is skipped. */
  restartEngine?(): Promise<void>;
  capabilities?: SuiteCapabilities;
  /**
   * The longest a partition of a dead (SIGKILLed) member stays unowned: lease + renewal period,
   * consumer timeout, heartbeat timeout. Bounds the takeover wait. Default 10 s.
   */
  takeoverMs?: number;
}

const memberProcess = fileURLToPath(new URL('./member-process.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The conformance suite every broker adapter runs against its real engine: ordering, one in flight
 * per partition, competing consumers, fan-out, durability, redelivery, takeover after a SIGKILL,
 * back-pressure, channel errors and an engine restart. A new adapter is done when this passes.
 *
 * Channel semantics the suite defines for every adapter:
 * - `publish` to a channel that was never `ensureChannel`ed rejects with SwitchyardError NOT_FOUND
 *   (no auto-creation: the partition count must come from the channel's owner);
 * - `publish` to a partition outside `0 … partitions-1` rejects with OUT_OF_RANGE;
 * - `ensureChannel` is idempotent and rejects a different partition count with FAILED_PRECONDITION.
 */
export function describeBrokerAdapter(name: string, harness: BrokerHarness): void {
  const suiteCaps = { balancedAssignment: true, historyForNewGroups: false, ...harness.capabilities };
  const takeoverMs = harness.takeoverMs ?? 10_000;

  describe(`broker adapter conformance: ${name}`, () => {
    let caps: Capabilities | undefined;

    /** Runs `body` with a fresh adapter and channel; closes and deletes both whatever happens. */
    async function withChannel(
      partitions: number,
      body: (adapter: BrokerAdapter, spec: ChannelSpec, track: (m: Member) => Member) => Promise<void>,
    ): Promise<void> {
      const adapter = await harness.create();
      caps = adapter.capabilities;
      const spec: ChannelSpec = { name: unique('ch'), partitions };
      const members: Member[] = [];
      try {
        await adapter.ensureChannel(spec);
        await body(adapter, spec, (m) => (members.push(m), m));
      } finally {
        await Promise.allSettled(members.map((m) => m.consumer.close()));
        await adapter.deleteChannel(spec.name).catch(() => {});
        await adapter.close();
      }
    }

    /** Opens a member and waits until it holds every partition (it is the group's only member). */
    async function soleMember(
      adapter: BrokerAdapter,
      spec: ChannelSpec,
      track: (m: Member) => Member,
      group = unique('g'),
      handler?: ConstructorParameters<typeof Member>[4],
    ) {
      const m = track(new Member(adapter, spec, group, unique('member'), handler));
      await allAssigned([m], spec.partitions);
      return m;
    }

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

    it(
      'rebalances when a member process is SIGKILLed: the survivor takes over, nothing is lost',
      { timeout: 120_000 },
      async () => {
        await withChannel(4, async (adapter, spec) => {
          const group = unique('g');
          const children = [spawnMember(spec, group, unique('p1')), spawnMember(spec, group, unique('p2'))];
          try {
            await eventually(
              () => new Set(children.flatMap((c) => [...c.assigned])).size === spec.partitions,
              takeoverMs * 2,
              () =>
                `assigned: ${children.map((c) => `[${[...c.assigned]}]`).join(' ')} ${children.map((c) => c.stderr).join('')}`,
            );
            if (suiteCaps.balancedAssignment) {
              await eventually(
                () => children.every((c) => c.assigned.size > 0),
                takeoverMs * 2,
                () => `assigned: ${children.map((c) => `[${[...c.assigned]}]`).join(' ')}`,
              );
            }
            const messages = workload(spec, 20, 30); // 600, ~3 ms each per member
            await publishAll(adapter, messages);
            const total = () => children[0]!.received.length + children[1]!.received.length;
            await eventually(
              () => total() >= messages.length / 4,
              30_000,
              () => `${total()} received`,
            );
            // Kill the busier member (with first-come assignment it is the only one working).
            const [victim, survivor] =
              children[0]!.received.length >= children[1]!.received.length
                ? [children[0]!, children[1]!]
                : [children[1]!, children[0]!];
            victim.process.kill('SIGKILL');
            const killedAt = survivor.received.length;
            const everything = () => new Set([...victim.received, ...survivor.received].map((r) => r.id));
            await eventually(
              () => everything().size >= messages.length,
              takeoverMs + 60_000,
              () =>
                `${everything().size} of ${messages.length} processed; survivor holds [${[...survivor.assigned]}] ${survivor.stderr}`,
            );
            assert.deepEqual(everything(), new Set(messages.map((x) => x.id)));
            assert.deepEqual(orderViolations(victim.received), [], 'order before the kill');
            assert.deepEqual(orderViolations(survivor.received.slice(killedAt)), [], 'order after takeover');
            assert.deepEqual(orderViolations(survivor.received), [], 'survivor order overall');
            assert.equal(survivor.assigned.size, spec.partitions, 'the survivor holds every partition');
          } finally {
            await Promise.all(children.map((c) => c.stop()));
          }
        });
      },
    );

    it(
      'back-pressure: a slow consumer does not make the adapter buffer the backlog',
      { timeout: 90_000 },
      async () => {
        await withChannel(4, async (adapter, spec, track) => {
          const gc = exposeGc();
          const group = unique('g');
          const m = await soleMember(adapter, spec, track, group, async (d) => {
            await sleep(20);
            await d.ack();
          });
          const bodySize = 16 * 1024;
          const count = 1600; // 25 MiB of bodies
          for (let i = 0; i < count; i += 100) {
            const batch = [];
            for (let j = i; j < i + 100; j++)
              batch.push(
                keyed(spec, `k${j % 40}`, Math.floor(j / 40), new Uint8Array(bodySize).fill(j % 251)),
              );
            await adapter.publish(batch);
          }
          gc();
          const baseline = process.memoryUsage();
          await eventually(
            () => m.received.length >= 40,
            30_000,
            () => `${m.received.length} of 40`,
          );
          gc();
          const now = process.memoryUsage();
          const grown = now.external + now.heapUsed - (baseline.external + baseline.heapUsed);
          const backlog = bodySize * count;
          assert.ok(
            grown < backlog / 4,
            `memory grew by ${(grown / 2 ** 20).toFixed(1)} MiB while ${(backlog / 2 ** 20).toFixed(1)} MiB waited`,
          );
          assert.ok(
            m.received.length < count / 2,
            'the slow consumer cannot have received most of the backlog',
          );
        });
      },
    );

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

    it('publish de-duplication by message id', { timeout: 30_000 }, async (t) => {
      await withChannel(2, async (adapter, spec, track) => {
        if (!caps?.publishDedup) return t.skip(`${name}: publishDedup is false`);
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

    it('nak delay is held by the engine across a change of owner', { timeout: 30_000 }, async (t) => {
      await withChannel(1, async (adapter, spec, track) => {
        if (!caps?.brokerSideDelay) return t.skip(`${name}: brokerSideDelay is false`);
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

    it(
      'survives an engine restart: every message confirmed as published is delivered',
      { timeout: 180_000 },
      async (t) => {
        if (!harness.restartEngine) return t.skip(`${name}: the harness cannot restart the engine`);
        await withChannel(3, async (adapter, spec, track) => {
          if (!caps?.persistent) return t.skip(`${name}: persistent is false`);
          const m = await soleMember(adapter, spec, track);
          const messages = workload(spec, 15, 20); // 300
          const confirmed: string[] = [];
          let restart: Promise<void> | undefined;
          for (let i = 0; i < messages.length; i += 10) {
            const batch = messages.slice(i, i + 10);
            if (i === 100) restart = harness.restartEngine!();
            await retrying(() => adapter.publish(batch), 60_000);
            confirmed.push(...batch.map((x) => x.id));
          }
          await restart;
          const got = () => new Set(m.ids());
          await eventually(
            () => confirmed.every((id) => got().has(id)),
            60_000,
            () => `${confirmed.filter((id) => !got().has(id)).length} confirmed messages missing`,
          );
          const known = new Set(messages.map((x) => x.id));
          assert.deepEqual(
            m.ids().filter((id) => !known.has(id)),
            [],
          );
          assert.equal(got().size, messages.length, 'every message counted');
        });
      },
    );
  });

  interface ChildMember {
    process: ChildProcess;
    received: Received[];
    assigned: Set<number>;
    stderr: string;
    stop(): Promise<void>;
  }

  function spawnMember(spec: ChannelSpec, group: string, member: string): ChildMember {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', memberProcess], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...harness.childEnv,
        SWITCHYARD_CONFORMANCE_MODULE: harness.childModule,
        SWITCHYARD_CONFORMANCE_SPEC: JSON.stringify(spec),
        SWITCHYARD_CONFORMANCE_GROUP: group,
        SWITCHYARD_CONFORMANCE_MEMBER: member,
        SWITCHYARD_CONFORMANCE_DELAY_MS: '3',
      },
    });
    const state: ChildMember = {
      process: child,
      received: [],
      assigned: new Set(),
      stderr: '',
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      },
    };
    child.stderr!.on(
      'data',
      (chunk: Buffer) => void (state.stderr = (state.stderr + chunk.toString()).slice(-4000)),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let event: { type?: string; partitions?: number[] } & Partial<Received>;
      try {
        event = JSON.parse(line);
      } catch {
        return;
      }
      if (event.type === 'assigned') for (const p of event.partitions ?? []) state.assigned.add(p);
      if (event.type === 'revoked') for (const p of event.partitions ?? []) state.assigned.delete(p);
      if (event.type === 'received') state.received.push({ ...(event as Received), member });
    });
    return state;
  }
}

/** `global.gc` without starting node with --expose-gc. */
function exposeGc(): () => void {
  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}
