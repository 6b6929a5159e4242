import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SwitchyardError } from '../../errors/index.js';
import type { Delivery } from '../adapter.js';
import { describeBrokerAdapter } from '../conformance/suite.js';
import { eventually, Member, unique, workload } from '../conformance/support.js';
import { embeddedBroker } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-embedded-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'broker.db');
const leaseMs = 1_500;

/**
 * The embedded engine is a file, not a server: there is nothing to stop and start. The nearest thing
 * is an outage of the file, so this holds its write lock from another process for 2 s: publishes
 * and acks wait (busy_timeout) or fail, then resume. It also keeps the suite's restart case exercised.
 */
async function lockFileFor(ms: number, whileLocked?: () => Promise<void>): Promise<void> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN EXCLUSIVE');
    console.log('locked');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));`;
  const child = spawn(process.execPath, ['-e', script, file, String(ms)], {
    cwd: fileURLToPath(new URL('../../../', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', () => resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  child.removeAllListeners('exit');
  const released = new Promise((resolve) => child.once('exit', resolve));
  await whileLocked?.();
  await released;
}

/**
 * Asserts that 10 ms timers keep running for `ms` while `during` runs alongside: an event loop held in
 * SQLite's busy handler until another process releases the lock would run none.
 */
async function assertTimersRun(ms: number, during: () => Promise<void>): Promise<void> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  await Promise.all([during(), new Promise((resolve) => setTimeout(resolve, ms))]);
  clearInterval(timer);
  assert.ok(ticks >= ms / 30, `${ticks} timers of 10 ms ran in ${ms} ms`);
}

describeBrokerAdapter('embedded', {
  create: async () => embeddedBroker({ file, leaseMs, retentionSweepMs: 500 }),
  childModule: fileURLToPath(new URL('./conformance-child.ts', import.meta.url)),
  childEnv: { SWITCHYARD_EMBEDDED_FILE: file, SWITCHYARD_EMBEDDED_LEASE_MS: String(leaseMs) },
  restartEngine: () => lockFileFor(2_000),
  capabilities: { balancedAssignment: true, historyForNewGroups: true },
  takeoverMs: leaseMs * 3,
  expiryLagMs: 3_000,
});

describe('embedded broker specifics', () => {
  it('sweeps only channels with an idle expiry, and only once it has passed', async () => {
    const broker = embeddedBroker({ file, leaseMs });
    const kept = { name: unique('ch'), partitions: 1 };
    const idle = { name: unique('ch'), partitions: 1, idleExpiryMs: 50 };
    const fresh = { name: unique('ch'), partitions: 1, idleExpiryMs: 60_000 };
    try {
      for (const spec of [kept, idle, fresh]) await broker.ensureChannel(spec);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(broker.sweepIdle().includes(idle.name));
      await assert.rejects(broker.publish(workload(idle, 1, 1)), /does not exist/);
      await broker.publish([...workload(kept, 1, 1), ...workload(fresh, 1, 1)]);
    } finally {
      for (const spec of [kept, idle, fresh]) await broker.deleteChannel(spec.name);
      await broker.close();
    }
  });

  it('sweeps a group with an idle expiry only once no membership runs, and never a group that existed before', async () => {
    // Beats every 10 s (a third of the lease): far apart next to a 50 ms expiry.
    const broker = embeddedBroker({ file, leaseMs: 30_000 });
    const declared = unique('g');
    const spec = { name: unique('ch'), partitions: 1, groups: [declared] };
    const peekable = (group: string) =>
      broker.peek(spec.name, group).then(
        () => true,
        (e: unknown) => !SwitchyardError.is(e, 'NOT_FOUND'),
      );
    try {
      await broker.ensureChannel(spec);
      const throwaway = unique('g');
      const member = new Member(broker, spec, throwaway, unique('member'), undefined, { idleExpiryMs: 50 });
      const old = new Member(broker, spec, declared, unique('member'), undefined, { idleExpiryMs: 50 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      broker.sweepIdle();
      assert.ok(await peekable(throwaway), 'a group with a live member was swept');
      await member.close();
      await old.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      broker.sweepIdle();
      assert.equal(await peekable(throwaway), false, 'the idle group is still there');
      assert.ok(await peekable(declared), 'a group declared without expiry was swept');
    } finally {
      await broker.deleteChannel(spec.name);
      await broker.close();
    }
  });

  it('fails a publish that cannot get the file past busy_timeout with UNAVAILABLE, storing nothing', async () => {
    const broker = embeddedBroker({ file, leaseMs });
    const spec = { name: unique('ch'), partitions: 1 };
    try {
      await broker.ensureChannel(spec);
      await lockFileFor(7_000, () =>
        assert.rejects(broker.publish(workload(spec, 1, 1, 'locked')), (e: unknown) =>
          SwitchyardError.is(e, 'UNAVAILABLE'),
        ),
      );
      const member = new Member(broker, spec, unique('g'));
      await broker.publish(workload(spec, 1, 1, 'after'));
      await eventually(
        () => member.received.length === 1,
        10_000,
        () => 'nothing delivered',
      );
      assert.equal(member.received[0]!.key, 'after0');
      await member.close();
    } finally {
      await broker.deleteChannel(spec.name);
      await broker.close();
    }
  });

  it('an ack that finds the write lock taken waits on a timer, the event loop free, and lands once it is released', async () => {
    const broker = embeddedBroker({ file, leaseMs: 30_000 });
    const spec = { name: unique('ch'), partitions: 1 };
    const consumer = broker.consume({ channel: spec, group: unique('g'), member: unique('m') });
    const deliveries = consumer[Symbol.asyncIterator]();
    try {
      const [one, two] = workload(spec, 1, 2);
      await broker.publish([one!, two!]);
      const first = (await deliveries.next()).value as Delivery;
      assert.equal(first.id, one!.id);
      let acked = false;
      await lockFileFor(600, async () => {
        const ack = first.ack().then(() => (acked = true));
        await assertTimersRun(300, async () => {});
        assert.equal(acked, false, 'the ack waits for the lock');
        await ack;
      });
      assert.equal(acked, true);
      const second = (await deliveries.next()).value as Delivery;
      assert.equal(second.id, two!.id);
      assert.equal(second.deliveryCount, 1, 'the first was acknowledged, not delivered again');
      await second.ack();
    } finally {
      await consumer.close();
      await broker.deleteChannel(spec.name);
      await broker.close();
    }
  });

  it('publishes that find the write lock taken wait on a timer, the event loop free, and land once it is released', async () => {
    const broker = embeddedBroker({ file, leaseMs: 30_000 });
    const spec = { name: unique('ch'), partitions: 1 };
    const member = new Member(broker, spec, unique('g'));
    try {
      await broker.ensureChannel(spec);
      const settled: string[] = [];
      await lockFileFor(600, async () => {
        const first = broker.publish(workload(spec, 1, 1, 'a')).then(() => settled.push('a'));
        let second: Promise<unknown> | undefined;
        await assertTimersRun(300, async () => {
          await new Promise((resolve) => setTimeout(resolve, 150));
          // Published while the first waits: it goes with the first's next try.
          second = broker.publish(workload(spec, 1, 1, 'b')).then(() => settled.push('b'));
        });
        assert.deepEqual(settled, [], 'the publishes wait for the lock');
        await Promise.all([first, second]);
      });
      assert.deepEqual(settled, ['a', 'b']);
      await eventually(
        () => member.received.length === 2,
        10_000,
        () => `${member.received.length} of 2 delivered`,
      );
      assert.deepEqual(
        member.received.map((r) => r.key),
        ['a0', 'b0'],
      );
    } finally {
      await member.close();
      await broker.deleteChannel(spec.name);
      await broker.close();
    }
  });

  it('heartbeats that find the write lock taken wait on a timer, the event loop free, and keep the lease', async () => {
    // A beat every 100 ms, and the lease runs out after 300 ms: the lock is held across several beats.
    const broker = embeddedBroker({ file, leaseMs: 300 });
    const spec = { name: unique('ch'), partitions: 1 };
    const member = new Member(broker, spec, unique('g'));
    try {
      await eventually(
        () => member.assigned.size === 1,
        10_000,
        () => 'not assigned',
      );
      await lockFileFor(600, () => assertTimersRun(300, async () => {}));
      await broker.publish(workload(spec, 1, 1));
      await eventually(
        () => member.received.length === 1,
        10_000,
        () => 'nothing delivered after the lock',
      );
      assert.equal(member.assigned.size, 1);
    } finally {
      await member.close();
      await broker.deleteChannel(spec.name);
      await broker.close();
    }
  });

  it('a fetch kept from the write lock for over 5 s reports the file lost, then found again', async () => {
    const broker = embeddedBroker({ file, leaseMs: 30_000 });
    const spec = { name: unique('ch'), partitions: 1 };
    const events: string[] = [];
    const consumer = broker.consume({
      channel: spec,
      group: unique('g'),
      member: unique('m'),
      onEvent: (event) => events.push(event.type),
    });
    const deliveries = consumer[Symbol.asyncIterator]();
    try {
      await broker.publish(workload(spec, 1, 1));
      const first = (await deliveries.next()).value as Delivery;
      await lockFileFor(5_800, async () => {
        const ack = first.ack();
        await eventually(
          () => events.includes('disconnected'),
          5_700,
          () => `events ${events.join(', ')}`,
        );
        await ack;
      });
      await eventually(
        () => events.includes('reconnected'),
        2_000,
        () => `events ${events.join(', ')}`,
      );
      assert.deepEqual(events, ['assigned', 'disconnected', 'reconnected']);
    } finally {
      await consumer.close();
      await broker.deleteChannel(spec.name);
      await broker.close();
    }
  });

  it('deletes messages older than the retention; groups skip what is gone', async () => {
    const broker = embeddedBroker({ file, leaseMs });
    const spec = { name: unique('ch'), partitions: 2, retentionMs: 50 };
    try {
      await broker.ensureChannel(spec);
      await broker.publish(workload(spec, 4, 5, 'old'));
      await new Promise((resolve) => setTimeout(resolve, 80));
      await broker.publish(workload(spec, 4, 2, 'new'));
      assert.equal(broker.sweepRetention(), 20);
      const m = new Member(broker, spec, unique('g'));
      await eventually(
        () => m.received.length >= 8,
        5_000,
        () => `${m.received.length} of 8`,
      );
      assert.ok(m.ids().every((id) => id.startsWith('new')));
      await m.close();
    } finally {
      await broker.deleteChannel(spec.name);
      await broker.close();
    }
  });

  it('publishes of one turn share a commit, and a bad one fails alone', async () => {
    const broker = embeddedBroker({ file, leaseMs });
    const spec = { name: unique('ch'), partitions: 2 };
    try {
      await broker.ensureChannel(spec);
      const outcomes = await Promise.allSettled([
        broker.publish(workload(spec, 2, 3, 'a')),
        broker.publish(workload({ ...spec, name: unique('missing') }, 1, 1, 'x')),
        broker.publish([{ ...workload(spec, 1, 1, 'y')[0]!, partition: 7 }]),
        broker.publish(workload(spec, 2, 3, 'b')),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
      );
      assert.ok(SwitchyardError.is((outcomes[1] as PromiseRejectedResult).reason, 'NOT_FOUND'));
      const m = new Member(broker, spec, unique('g'));
      await eventually(
        () => m.received.length >= 12,
        5_000,
        () => `${m.received.length} of 12`,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(m.received.length, 12);
      await m.close();
    } finally {
      await broker.deleteChannel(spec.name);
      await broker.close();
    }
  });

  it('refuses work after close with UNAVAILABLE, and bad partition counts with INVALID_ARGUMENT', async () => {
    const broker = embeddedBroker({ file, leaseMs });
    await assert.rejects(broker.ensureChannel({ name: unique('ch'), partitions: 0 }), (e: unknown) =>
      SwitchyardError.is(e, 'INVALID_ARGUMENT'),
    );
    await broker.close();
    await assert.rejects(broker.publish([]), (e: unknown) => SwitchyardError.is(e, 'UNAVAILABLE'));
  });

  it('deleteChannel removes messages, offsets, leases and members', async () => {
    const broker = embeddedBroker({ file, leaseMs });
    const spec = { name: unique('ch'), partitions: 2 };
    await broker.ensureChannel(spec);
    await broker.publish(workload(spec, 2, 2));
    const m = new Member(broker, spec, unique('g'));
    await eventually(
      () => m.received.length >= 4,
      5_000,
      () => `${m.received.length} of 4`,
    );
    await m.close();
    await broker.deleteChannel(spec.name);
    await assert.rejects(broker.publish(workload(spec, 1, 1)), (e: unknown) =>
      SwitchyardError.is(e, 'NOT_FOUND'),
    );
    await broker.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(file, { readonly: true });
    for (const table of ['sy_messages', 'sy_offsets', 'sy_leases', 'sy_members'])
      assert.equal(
        db.prepare(`SELECT count(*) FROM ${table} WHERE channel = ?`).pluck().get(spec.name),
        0,
        table,
      );
    db.close();
  });
});
