import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import type {
  BrokerAdapter,
  ChannelSpec,
  Consumer,
  ConsumerEvent,
  Delivery,
  OutgoingMessage,
} from '../adapter.js';
import { keysFor, redisStreamsBroker, type RedisStreamsBrokerOptions } from './index.js';
import { connect } from './link.js';
import { startPrivateRedis } from './private-redis.js';
import { deleteKeys } from './purge.js';

// The Redis server is shared with other test runs: every test uses its own prefix and deletes its keys.
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const unique = (kind: string) => `${kind}-${randomBytes(4).toString('hex')}`;

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

function broker(options: RedisStreamsBrokerOptions = {}): BrokerAdapter {
  const adapter = redisStreamsBroker({ url, leaseMs: 1_000, ...options });
  cleanups.push(() => adapter.close());
  return adapter;
}

/** A fresh channel on a fresh adapter (own prefix); every key of the prefix is deleted after the file. */
async function setup(partitions: number, options: RedisStreamsBrokerOptions = {}) {
  const prefix = options.prefix ?? unique('sytest');
  const adapter = broker({ ...options, prefix });
  const spec: ChannelSpec = { name: unique('ch'), partitions };
  await adapter.ensureChannel(spec);
  cleanups.push(() => deleteKeys(options.url ?? url, `${prefix}:*`));
  return { adapter, spec, prefix };
}

function message(spec: ChannelSpec, partition: number, n: number | string): OutgoingMessage {
  return {
    channel: spec.name,
    partition,
    id: `m-${partition}-${n}`,
    headers: { n: String(n) },
    body: new TextEncoder().encode(`body ${n}`),
  };
}

/**
 * The next `count` deliveries of a consumer, failing after `ms`. A read that timed out stays pending
 * and is the next one awaited: reads are served in order, so a new read would come after it.
 */
const pendingReads = new WeakMap<Consumer, Promise<IteratorResult<Delivery>>>();

async function take(consumer: Consumer, count: number, ms = 8_000): Promise<Delivery[]> {
  const it = consumer[Symbol.asyncIterator]();
  const got: Delivery[] = [];
  const deadline = Date.now() + ms;
  while (got.length < count) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${got.length} of ${count} deliveries`)),
        Math.max(1, deadline - Date.now()),
      );
    });
    try {
      const waiting = pendingReads.get(consumer) ?? it.next();
      pendingReads.set(consumer, waiting);
      const next = await Promise.race([waiting, timeout]);
      pendingReads.delete(consumer);
      if (next.done) break;
      got.push(next.value);
    } finally {
      clearTimeout(timer);
    }
  }
  return got;
}

async function next(consumer: Consumer, ms: number): Promise<Delivery | undefined> {
  return take(consumer, 1, ms).then(
    (d) => d[0],
    () => undefined,
  );
}

/** Takes and acks `count` deliveries, returning their `n` headers. */
async function drain(consumer: Consumer, count: number, ms = 8_000): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + ms;
  while (seen.length < count) {
    const [d] = await take(consumer, 1, deadline - Date.now());
    if (!d) break;
    seen.push(d.headers.n!);
    await d.ack();
  }
  return seen;
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Redis Streams broker adapter', { timeout: 60_000 }, () => {
  test('ensureChannel is idempotent and refuses another partition count; publish checks partitions', async () => {
    const { adapter, spec } = await setup(3);
    await adapter.ensureChannel(spec);
    await assert.rejects(
      adapter.ensureChannel({ ...spec, partitions: 4 }),
      (e: unknown) => e instanceof SwitchyardError && e.code === 'FAILED_PRECONDITION',
    );
    await assert.rejects(
      adapter.publish([message(spec, 3, 1)]),
      (e: unknown) => e instanceof SwitchyardError && e.code === 'OUT_OF_RANGE',
    );
    await assert.rejects(
      adapter.publish([{ ...message(spec, 0, 1), channel: unique('missing') }]),
      (e: unknown) => e instanceof SwitchyardError && e.code === 'NOT_FOUND',
    );
    assert.deepEqual(adapter.capabilities, {
      publishDedup: false,
      persistent: false,
      brokerSideDelay: false,
      passivePeek: true,
      idleExpiry: true,
      groupIdleExpiry: true,
    });
  });

  test('delivers a partition in publish order, one in flight, with ids, headers and binary bodies', async () => {
    const { adapter, spec } = await setup(2);
    const body = Uint8Array.from([0, 255, 1, 254, 10, 13]);
    await adapter.publish([{ ...message(spec, 1, 'bin'), body }]);
    await adapter.publish(range(10).map((n) => message(spec, 0, n)));
    await adapter.publish(range(10, 10).map((n) => message(spec, 0, n)));
    const consumer = adapter.consume({ channel: spec, group: 'g', member: unique('m') });
    cleanups.push(() => consumer.close());
    const [first, second] = await take(consumer, 2);
    const byPartition = new Map([first!, second!].map((d) => [d.partition, d]));
    const bin = byPartition.get(1)!;
    assert.deepEqual(bin.body, body);
    assert.equal(bin.id, `m-1-bin`);
    assert.equal(bin.deliveryCount, 1);
    const zero = byPartition.get(0)!;
    assert.equal(zero.headers.n, '0');
    // One in flight: nothing more from partition 0 before the ack.
    assert.equal(await next(consumer, 300), undefined);
    await bin.ack();
    await zero.ack();
    assert.deepEqual(await drain(consumer, 19), range(19, 1).map(String));
  });

  test('every group receives every message, including what was published before it first consumed', async () => {
    const { adapter, spec } = await setup(1);
    await adapter.publish(range(5).map((n) => message(spec, 0, n)));
    const a = adapter.consume({ channel: spec, group: 'a', member: unique('m') });
    const b = adapter.consume({ channel: spec, group: 'b', member: unique('m') });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const [seenA, seenB] = await Promise.all([drain(a, 5), drain(b, 5)]);
    assert.deepEqual(seenA, range(5).map(String));
    assert.deepEqual(seenB, range(5).map(String));
  });

  test('nak(delay) holds the partition and redelivers the same message with a higher count', async () => {
    const { adapter, spec } = await setup(1);
    // The ones behind it were read ahead with it: they follow it, in order, none skipped.
    await adapter.publish(range(4, 1).map((n) => message(spec, 0, n)));
    const consumer = adapter.consume({ channel: spec, group: 'g', member: unique('m') });
    cleanups.push(() => consumer.close());
    const [d1] = await take(consumer, 1);
    const started = Date.now();
    void d1!.nak(300);
    const [again] = await take(consumer, 1);
    assert.ok(Date.now() - started >= 250);
    assert.equal(again!.headers.n, '1');
    assert.equal(again!.deliveryCount, 2);
    await again!.ack();
    assert.deepEqual(await drain(consumer, 3), ['2', '3', '4']);
  });

  test('two members split the partitions by leases and each message goes to one of them', async () => {
    const { adapter, spec } = await setup(4);
    const events = new Map<string, number[]>();
    const member = (name: string) =>
      adapter.consume({
        channel: spec,
        group: 'g',
        member: name,
        onEvent: (e: ConsumerEvent) => {
          const owned = new Set(events.get(name) ?? []);
          if (e.type === 'assigned') e.partitions.forEach((p) => owned.add(p));
          if (e.type === 'revoked') e.partitions.forEach((p) => owned.delete(p));
          events.set(name, [...owned].sort());
        },
      });
    const a = member('a');
    cleanups.push(() => a.close());
    await until(() => events.get('a')?.length === 4, 5_000, 'a to own all four');
    const b = member('b');
    cleanups.push(() => b.close());
    await until(() => events.get('a')?.length === 2 && events.get('b')?.length === 2, 8_000, 'a 2/2 split');
    assert.deepEqual([...events.get('a')!, ...events.get('b')!].sort(), [0, 1, 2, 3]);
    await adapter.publish(range(4).flatMap((p) => range(3).map((n) => message(spec, p, n))));
    const got = await Promise.all([drain(a, 6), drain(b, 6)]);
    assert.deepEqual(
      got.flat().sort(),
      range(4)
        .flatMap(() => ['0', '1', '2'])
        .sort(),
    );
    // Closing a hands its partitions to b at once (released leases, no expiry wait).
    await a.close();
    await until(() => events.get('b')?.length === 4, 3_000, 'b to own all four');
  });

  test('three members on four partitions: every member gets work (1, 1, 2)', async () => {
    const { adapter, spec } = await setup(4);
    const owned = new Map<string, Set<number>>();
    const member = (name: string) => {
      owned.set(name, new Set());
      const consumer = adapter.consume({
        channel: spec,
        group: 'g',
        member: name,
        onEvent: (e: ConsumerEvent) => {
          if (e.type === 'assigned') e.partitions.forEach((p) => owned.get(name)!.add(p));
          if (e.type === 'revoked') e.partitions.forEach((p) => owned.get(name)!.delete(p));
        },
      });
      cleanups.push(() => consumer.close());
      return consumer;
    };
    member('a');
    member('b');
    await until(() => owned.get('a')!.size === 2 && owned.get('b')!.size === 2, 8_000, '2/2 split');
    member('c');
    const sizes = () => [...owned.values()].map((s) => s.size).sort();
    await until(() => sizes().join() === '1,1,2', 8_000, `1/1/2 split (now ${sizes().join()})`);
    const all = [...owned.values()].flatMap((s) => [...s]).sort();
    assert.deepEqual(all, [0, 1, 2, 3]);
  });

  test('a member that closes without acking: the next claims its message (count 2) and keeps order', async () => {
    const { adapter, spec } = await setup(1);
    await adapter.publish(range(3).map((n) => message(spec, 0, n)));
    const a = adapter.consume({ channel: spec, group: 'g', member: 'a' });
    const [d] = await take(a, 1);
    assert.equal(d!.headers.n, '0');
    await a.close();
    const b = adapter.consume({ channel: spec, group: 'g', member: 'b' });
    cleanups.push(() => b.close());
    const [again] = await take(b, 1);
    assert.equal(again!.headers.n, '0');
    assert.ok(again!.deliveryCount >= 2);
    await again!.ack();
    assert.deepEqual(await drain(b, 2), ['1', '2']);
  });

  test('a dead member (lease left to expire): its pending message is claimed with XAUTOCLAIM, in order', async () => {
    const { adapter, spec, prefix } = await setup(1, { leaseMs: 1_000 });
    await adapter.publish(range(3).map((n) => message(spec, 0, n)));
    // The ghost member read message 0, holds the lease, and dies: nothing renews or releases anything.
    const keys = keysFor(prefix, spec.name);
    const redis = await connect({ url, name: 'switchyard-test-ghost' });
    try {
      await redis.xgroup('CREATE', keys.stream(0), 'g', '0', 'MKSTREAM');
      await redis.xreadgroup('GROUP', 'g', 'ghost', 'COUNT', 1, 'STREAMS', keys.stream(0), '>');
      await redis.set(keys.lease('g', 0), 'ghost', 'PX', 1_000);
    } finally {
      redis.disconnect();
    }
    const started = Date.now();
    const b = adapter.consume({ channel: spec, group: 'g', member: 'b' });
    cleanups.push(() => b.close());
    const [again] = await take(b, 1);
    assert.ok(Date.now() - started >= 700, 'not before the ghost lease expired');
    assert.equal(again!.headers.n, '0');
    assert.equal(again!.deliveryCount, 2);
    await again!.ack();
    assert.deepEqual(await drain(b, 2), ['1', '2']);
  });

  test('deleteChannel removes streams, meta, groups and leases', async () => {
    const { adapter, spec, prefix } = await setup(2);
    await adapter.publish([message(spec, 0, 1)]);
    const consumer = adapter.consume({ channel: spec, group: 'g', member: 'm' });
    const [d] = await take(consumer, 1);
    await d!.ack();
    await consumer.close();
    await adapter.deleteChannel(spec.name);
    const redis = await connect({ url, name: 'switchyard-test-check' });
    try {
      const [, keys] = await redis.scan('0', 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      assert.deepEqual(keys, []);
    } finally {
      redis.disconnect();
    }
  });
  test('an idle channel leaves no key behind, and a late publish from another adapter cannot revive it', async () => {
    const prefix = unique('sytest');
    cleanups.push(() => deleteKeys(url, `${prefix}:*`));
    const owner = broker({ prefix });
    const spec: ChannelSpec = { name: unique('replies'), partitions: 2, idleExpiryMs: 1_000 };
    await owner.ensureChannel(spec);
    const consumer = owner.consume({ channel: spec, group: 'me', member: 'me' });
    const replier = broker({ prefix });
    await replier.publish([message(spec, 1, 'reply')]);
    const [d] = await take(consumer, 1);
    await d!.ack();
    await consumer.close();
    const redis = await connect({ url, name: 'switchyard-test-check' });
    const keys = async () => (await redis.scan('0', 'MATCH', `${prefix}:*`, 'COUNT', 1000))[1];
    try {
      const deadline = Date.now() + 5_000;
      while ((await keys()).length > 0) {
        assert.ok(Date.now() < deadline, `left behind: ${(await keys()).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await assert.rejects(replier.publish([message(spec, 0, 'late')]), (e: unknown) =>
        SwitchyardError.is(e, 'NOT_FOUND'),
      );
      await assert.rejects(
        replier.publish([message(spec, 0, 'late 1'), message(spec, 1, 'late 2')]),
        (e: unknown) => SwitchyardError.is(e, 'NOT_FOUND'),
      );
      assert.deepEqual(await keys(), []);
    } finally {
      redis.disconnect();
    }
  });

  test('an expired group leaves no key behind; a group whose member renews it is never swept', async () => {
    const { adapter: owner, spec, prefix } = await setup(2, { groupSweepMs: 100 });
    await owner.ensureChannel({ ...spec, groups: ['kept'] });
    const idleExpiryMs = 1_000;
    const consume = (group: string) => {
      const consumer = owner.consume({ channel: spec, group, member: unique('m'), idleExpiryMs });
      cleanups.push(() => consumer.close());
      return consumer;
    };
    const live = consume('live');
    const gone = consume('gone');
    // A group declared without expiry and consumed with idleExpiryMs keeps its own settings.
    const kept = consume('kept');
    await owner.publish([message(spec, 0, 1), message(spec, 1, 2)]);
    assert.deepEqual((await drain(live, 2)).sort(), ['1', '2']);
    assert.deepEqual((await drain(kept, 2)).sort(), ['1', '2']);
    // One acked, one left pending: both the position and the pending list must go.
    const [first, second] = await take(gone, 2);
    await first!.ack();
    assert.ok(second);
    await gone.close();
    await kept.close();

    // Another adapter on the prefix sweeps every 100 ms (started by its first peek).
    const sweeper = broker({ prefix, groupSweepMs: 100 });
    assert.equal((await sweeper.peek(spec.name, 'live')).length, 0);
    const redis = await connect({ url, name: 'switchyard-test-check' });
    const channelKeys = keysFor(prefix, spec.name);
    const base = `${prefix}:${spec.name}`;
    const keys = async () => (await redis.scan('0', 'MATCH', `${prefix}:*`, 'COUNT', 1000))[1].sort();
    const groupsOn = async (p: number) =>
      ((await redis.call('XINFO', 'GROUPS', channelKeys.stream(p))) as unknown[][])
        .map((info) => String(info[info.indexOf('name') + 1]))
        .sort();
    /** What is left of `group` in Redis: its keys, its index entry, its name in the groups set, its consumer groups. */
    const traces = async (group: string) => [
      ...(await keys()).filter((key) => key.startsWith(`${base}:${group}:`)),
      ...(await redis.hkeys(`${prefix}:expiring-groups`)).filter(
        (field) => field === `${spec.name} ${group}`,
      ),
      ...(await redis.smembers(channelKeys.groups)).filter((name) => name === group),
      ...(await groupsOn(0)).filter((name) => name === group).map(() => 'p0'),
      ...(await groupsOn(1)).filter((name) => name === group).map(() => 'p1'),
    ];
    const swept = async (group: string) => {
      const deadline = Date.now() + idleExpiryMs + 3_000;
      while ((await traces(group)).length > 0) {
        assert.ok(Date.now() < deadline, `left of ${group}: ${(await traces(group)).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    try {
      await swept('gone');
      await assert.rejects(sweeper.peek(spec.name, 'gone'), (e: unknown) =>
        SwitchyardError.is(e, 'NOT_FOUND'),
      );
      assert.deepEqual((await redis.smembers(channelKeys.groups)).sort(), ['kept', 'live']);
      assert.deepEqual(await redis.hkeys(`${prefix}:expiring-groups`), [`${spec.name} live`]);
      for (const p of [0, 1]) assert.deepEqual(await groupsOn(p), ['kept', 'live']);

      // Three more periods of sweeps by both adapters: the live group stays and goes on delivering.
      await new Promise((resolve) => setTimeout(resolve, 3 * idleExpiryMs));
      await owner.publish([message(spec, 0, 3)]);
      const [again] = await take(live, 1);
      assert.equal(again!.headers.n, '3');
      assert.equal(again!.deliveryCount, 1);
      await again!.ack();
      assert.deepEqual(await sweeper.peek(spec.name, 'live'), []);
      assert.equal((await sweeper.peek(spec.name, 'kept')).length, 1);

      // Closed too: only the kept group is left, and under the prefix only the channel's own keys.
      await live.close();
      await swept('live');
      assert.deepEqual(await keys(), [`${base}:groups`, `${base}:meta`, `${base}:p0`, `${base}:p1`]);
      for (const p of [0, 1]) assert.deepEqual(await groupsOn(p), ['kept']);
      assert.equal((await sweeper.peek(spec.name, 'kept')).length, 1);
    } finally {
      redis.disconnect();
    }
  });

  test('a member of an expired group that was not swept yet starts a new group', async () => {
    // No sweeper runs (a sweep period far beyond the test): the member itself finds the group expired.
    const { adapter, spec } = await setup(1, { groupSweepMs: 600_000 });
    const idleExpiryMs = 1_000;
    const consume = (member: string, start: 'oldest' | 'end') => {
      const consumer = adapter.consume({ channel: spec, group: 'tail', member, idleExpiryMs, start });
      cleanups.push(() => consumer.close());
      return consumer;
    };
    await adapter.publish([message(spec, 0, 1), message(spec, 0, 2)]);
    const first = consume('a', 'oldest');
    assert.deepEqual(await drain(first, 1), ['1']);
    await first.close();
    await until(
      () =>
        adapter.peek(spec.name, 'tail').then(
          () => false,
          (e: unknown) => SwitchyardError.is(e, 'NOT_FOUND'),
        ),
      idleExpiryMs + 2_000,
      'the group to expire',
    );
    // A new group from the oldest message: the old position (after 1) is gone with the group.
    const second = consume('b', 'oldest');
    assert.deepEqual(await drain(second, 2), ['1', '2']);
  });
});

// ---- engine restart (a private redis-server with appendonly, never the shared one) ----------------

describe('Redis Streams broker adapter: engine restart', { timeout: 60_000 }, () => {
  test('a killed and restarted redis-server (appendonly, fsync always) loses no published message', async () => {
    const server = await startPrivateRedis();
    cleanups.push(() => server.stop());
    const { adapter, spec } = await setup(2, { url: server.url, persistent: true });
    assert.equal(adapter.capabilities.persistent, true);
    const events: string[] = [];
    const consumer = adapter.consume({
      channel: spec,
      group: 'g',
      member: 'm',
      onEvent: (e) => events.push(e.type),
    });
    cleanups.push(() => consumer.close());
    await adapter.publish(range(10).flatMap((n) => [message(spec, 0, n), message(spec, 1, n)]));
    const seen = new Map<number, string[]>([
      [0, []],
      [1, []],
    ]);
    const record = async (d: Delivery) => {
      const list = seen.get(d.partition)!;
      // At least once: a message may come again, but never one after a later one (order is kept).
      if (list.at(-1) !== d.headers.n) list.push(d.headers.n!);
      await d.ack();
    };
    const one = () => take(consumer, 1, 15_000);
    for (let i = 0; i < 10; i++) await record((await one())[0]!);
    const restarting = server.restart(300);
    await new Promise((r) => setTimeout(r, 100));
    // Published while the server is down: ioredis queues it until the server is back.
    await adapter.publish(range(10, 10).flatMap((n) => [message(spec, 0, n), message(spec, 1, n)]));
    await restarting;
    while (seen.get(0)!.length < 20 || seen.get(1)!.length < 20) await record((await one())[0]!);
    assert.deepEqual(seen.get(0), range(20).map(String));
    assert.deepEqual(seen.get(1), range(20).map(String));
    assert.ok(events.includes('disconnected') && events.includes('reconnected'), events.join(','));
  });

  test('without persistence the consumer survives a restart of an empty Redis and consumes what comes next', async () => {
    const server = await startPrivateRedis({ appendonly: false });
    cleanups.push(() => server.stop());
    const { adapter, spec } = await setup(1, { url: server.url });
    const consumer = adapter.consume({ channel: spec, group: 'g', member: 'm' });
    cleanups.push(() => consumer.close());
    await adapter.publish([message(spec, 0, 'before')]);
    assert.deepEqual(await drain(consumer, 1), ['before']);
    await server.restart();
    await adapter.publish([message(spec, 0, 'after-1'), message(spec, 0, 'after-2')]);
    assert.deepEqual(await drain(consumer, 2, 15_000), ['after-1', 'after-2']);
  });
});
