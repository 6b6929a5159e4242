import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { Channel } from 'amqplib';
import { SwitchyardError } from '../../errors/index.js';
import type { ChannelSpec, Consumer, ConsumerEvent, Delivery, OutgoingMessage } from '../adapter.js';
import { kLink, loadAmqp, type Link } from './link.js';
import { namesFor, rabbitMqBroker, type RabbitMqBroker, type RabbitMqBrokerOptions } from './index.js';

// The RabbitMQ node is shared with other test runs: every test uses its own prefix and deletes what it made.
const url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const unique = (kind: string) => `${kind}-${randomBytes(4).toString('hex')}`;

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

function broker(options: RabbitMqBrokerOptions = {}): RabbitMqBroker {
  const adapter = rabbitMqBroker({ url, ...options });
  cleanups.push(() => adapter.close());
  return adapter;
}

/** A fresh channel on a fresh adapter; deleted (with its group queues) after the file. */
async function setup(partitions: number, options: RabbitMqBrokerOptions = {}) {
  const prefix = options.prefix ?? unique('sytest');
  const adapter = broker({ ...options, prefix });
  const spec: ChannelSpec = { name: unique('ch'), partitions };
  await adapter.ensureChannel(spec);
  cleanups.push(async () => {
    const cleaner = rabbitMqBroker({ url, prefix });
    await cleaner.deleteChannel(spec.name);
    await cleaner.close();
  });
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
 * Reads a consumer with timeouts; one pending `next()` is kept across a timeout, so a delivery that
 * arrives late is not lost to an abandoned read.
 */
const pendingReads = new WeakMap<Consumer, Promise<IteratorResult<Delivery>>>();

async function read(consumer: Consumer, ms: number): Promise<Delivery | undefined> {
  let pending = pendingReads.get(consumer);
  if (!pending) {
    pending = consumer[Symbol.asyncIterator]().next();
    pendingReads.set(consumer, pending);
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    const result = await Promise.race([pending, timeout]);
    if (result === 'timeout') return undefined;
    pendingReads.delete(consumer);
    return result.done ? undefined : result.value;
  } finally {
    clearTimeout(timer);
  }
}

/** The next `count` deliveries of a consumer (acknowledged as they come when `ack`), failing after `ms`. */
async function take(consumer: Consumer, count: number, options: { ms?: number; ack?: boolean } = {}) {
  const deadline = Date.now() + (options.ms ?? 5_000);
  const got: Delivery[] = [];
  while (got.length < count) {
    const d = await read(consumer, Math.max(1, deadline - Date.now()));
    if (!d) throw new Error(`timed out after ${got.length} of ${count} deliveries`);
    got.push(d);
    if (options.ack) await d.ack();
  }
  return got;
}

/** The consumer's next delivery, or `undefined` if none arrives within `ms`. */
const next = (consumer: Consumer, ms: number) => read(consumer, ms);

describe('RabbitMQ broker adapter', { timeout: 60_000 }, () => {
  test('publish confirms, then delivers each partition in publish order', async () => {
    const { adapter, spec } = await setup(2);
    await adapter.ensureGroup(spec, 'g');
    const batch = [];
    for (let n = 0; n < 10; n++) batch.push(message(spec, n % 2, n));
    await adapter.publish(batch);

    const consumer = adapter.consume({ channel: spec, group: 'g', member: unique('m') });
    const got = await take(consumer, 10, { ack: true });
    await consumer.close();

    for (const p of [0, 1]) {
      const ns = got.filter((d) => d.partition === p).map((d) => Number(d.headers.n));
      assert.deepEqual(
        ns,
        [0, 2, 4, 6, 8].map((n) => n + p),
      );
    }
    const first = got.find((d) => d.headers.n === '0')!;
    assert.equal(first.id, 'm-0-0');
    assert.equal(first.deliveryCount, 1);
    assert.equal(first.channel, spec.name);
    assert.equal(new TextDecoder().decode(first.body), 'body 0');
  });

  test('every group receives every message (fan-out), members of one group compete', async () => {
    const { adapter, spec } = await setup(1);
    await adapter.ensureGroup(spec, 'a');
    await adapter.ensureGroup(spec, 'b');
    await adapter.publish([message(spec, 0, 1), message(spec, 0, 2)]);
    for (const group of ['a', 'b']) {
      const consumer = adapter.consume({ channel: spec, group, member: unique('m') });
      const got = await take(consumer, 2, { ack: true });
      assert.deepEqual(
        got.map((d) => d.headers.n),
        ['1', '2'],
      );
      await consumer.close();
    }
  });

  test('one message in flight per partition: the next waits for the ack', async () => {
    const { adapter, spec } = await setup(1);
    await adapter.ensureGroup(spec, 'g');
    await adapter.publish([message(spec, 0, 1), message(spec, 0, 2)]);
    const consumer = adapter.consume({ channel: spec, group: 'g', member: unique('m') });
    const [first] = await take(consumer, 1);
    assert.equal(first!.headers.n, '1');
    assert.equal(await next(consumer, 300), undefined, 'second message delivered before the first was acked');
    await first!.ack();
    const second = await next(consumer, 5_000);
    assert.equal(second?.headers.n, '2');
    await second!.ack();
    await consumer.close();
  });

  test('nak(delay) redelivers the same message first, after the delay, with a higher deliveryCount', async () => {
    const { adapter, spec } = await setup(1);
    await adapter.ensureGroup(spec, 'g');
    await adapter.publish([message(spec, 0, 1), message(spec, 0, 2)]);
    const consumer = adapter.consume({ channel: spec, group: 'g', member: unique('m') });
    const [first] = await take(consumer, 1);
    const started = Date.now();
    await first!.nak(200);
    const [again] = await take(consumer, 1);
    assert.ok(Date.now() - started >= 190, 'redelivered before the delay');
    assert.equal(again!.headers.n, '1');
    assert.equal(again!.deliveryCount, 2);
    await again!.ack();
    const [second] = await take(consumer, 1);
    assert.equal(second!.headers.n, '2');
    assert.equal(second!.deliveryCount, 1);
    await second!.ack();
    await consumer.close();
  });

  test('two members: one owns the partition; on close the other resumes at the unacked message', async () => {
    const { adapter, spec, prefix } = await setup(1);
    await adapter.ensureGroup(spec, 'g');
    await adapter.publish([1, 2, 3].map((n) => message(spec, 0, n)));
    // Two adapters = two connections, as two processes would have.
    const other = broker({ prefix });
    const eventsA: ConsumerEvent[] = [];
    const a = adapter.consume({ channel: spec, group: 'g', member: 'a', onEvent: (e) => eventsA.push(e) });
    const [first] = await take(a, 1);
    assert.equal(first!.headers.n, '1');
    assert.deepEqual(eventsA, [{ type: 'assigned', partitions: [0] }]);
    await first!.ack();

    const b = other.consume({ channel: spec, group: 'g', member: 'b' });
    const [second] = await take(a, 1);
    assert.equal(second!.headers.n, '2');
    assert.equal(await next(b, 300), undefined, 'the inactive member received a message');

    // A closes without acking 2: B becomes the active consumer and gets 2 again, then 3.
    await a.close();
    assert.deepEqual(eventsA.at(-1), { type: 'revoked', partitions: [0] });
    const got = await take(b, 2, { ack: true });
    assert.deepEqual(
      got.map((d) => d.headers.n),
      ['2', '3'],
    );
    assert.ok(got[0]!.deliveryCount >= 2, `deliveryCount ${got[0]!.deliveryCount}`);
    assert.equal(got[1]!.deliveryCount, 1);
    await b.close();
  });

  test('a message published while no group exists is confirmed and parked in the unrouted queue', async () => {
    const { adapter, spec, prefix } = await setup(2);
    await adapter.publish([message(spec, 1, 1)]);
    // Declared groups make the same publish reach them instead.
    await adapter.ensureGroup(spec, 'g');
    await adapter.publish([message(spec, 1, 2)]);
    const amqp = await loadAmqp();
    const conn = await amqp.connect(url);
    try {
      const names = namesFor(prefix, spec.name);
      const ch = await conn.createChannel();
      assert.equal((await ch.checkQueue(names.unrouted)).messageCount, 1);
      assert.equal((await ch.checkQueue(names.queue('g', 1))).messageCount, 1);
      const parked = await ch.get(names.unrouted, { noAck: false });
      assert.ok(parked);
      assert.equal(parked.properties.messageId, 'm-1-1');
      await ch.close(); // the get was not acked: the message stays parked
    } finally {
      await conn.close();
    }
  });

  test('a message that reaches no queue at all fails its publish with FAILED_PRECONDITION naming it', async () => {
    const { adapter, spec, prefix } = await setup(2);
    await adapter.ensureGroup(spec, 'g');
    const amqp = await loadAmqp();
    const conn = await amqp.connect(url);
    try {
      // Partition 1 now has neither its group queue nor the unrouted queue to fall back to.
      const names = namesFor(prefix, spec.name);
      const ch = await conn.createChannel();
      await ch.deleteQueue(names.queue('g', 1));
      await ch.deleteQueue(names.unrouted);
      await ch.close();
    } finally {
      await conn.close();
    }
    const batch = [message(spec, 0, 1), message(spec, 1, 2), message(spec, 0, 3)];
    await assert.rejects(adapter.publish(batch), (error: unknown) => {
      assert.ok(SwitchyardError.is(error, 'FAILED_PRECONDITION'), String(error));
      assert.deepEqual(error.details, {
        unroutable: [{ id: 'm-1-2', channel: spec.name, partition: 1 }],
      });
      return true;
    });
    // The channel stays usable: what can be routed still is.
    await adapter.publish([message(spec, 0, 4)]);
  });

  test('groups option declares groups with the channel, so they get messages before consuming', async () => {
    const prefix = unique('sytest');
    const spec: ChannelSpec = { name: unique('ch'), partitions: 1 };
    const adapter = broker({ prefix, groups: { [spec.name]: ['early'] } });
    await adapter.ensureChannel(spec);
    cleanups.push(() => adapter.deleteChannel(spec.name));
    await adapter.publish([message(spec, 0, 1)]);
    const consumer = adapter.consume({ channel: spec, group: 'early', member: unique('m') });
    const [d] = await take(consumer, 1);
    assert.equal(d!.headers.n, '1');
    await d!.ack();
    await consumer.close();
  });

  test('publishing to a channel that does not exist fails with NOT_FOUND', async () => {
    const adapter = broker({ prefix: unique('sytest') });
    const spec: ChannelSpec = { name: unique('missing'), partitions: 1 };
    await assert.rejects(adapter.publish([message(spec, 0, 1)]), (error: unknown) =>
      SwitchyardError.is(error, 'NOT_FOUND'),
    );
    // The publisher recovers from the closed channel.
    const { adapter: ok, spec: real } = await setup(1);
    await ok.ensureGroup(real, 'g');
    await ok.publish([message(real, 0, 1)]);
  });

  test('a publish to a missing channel fails alone: publishes to other channels at the same time succeed', async () => {
    const { adapter, spec } = await setup(1);
    await adapter.ensureGroup(spec, 'g');
    const missing: ChannelSpec = { name: unique('gone'), partitions: 1 };
    for (let round = 0; round < 3; round++) {
      const [good, bad] = await Promise.allSettled([
        adapter.publish(Array.from({ length: 20 }, (_, i) => message(spec, 0, `${round}-${i}`))),
        adapter.publish([message(missing, 0, round)]),
      ]);
      assert.equal(good.status, 'fulfilled', String((good as PromiseRejectedResult).reason));
      assert.ok(bad.status === 'rejected' && SwitchyardError.is(bad.reason, 'NOT_FOUND'), String(bad));
    }
  });

  test('a batch of publishes leaves in a few socket writes, not one per message', async () => {
    const { adapter, spec } = await setup(1);
    await adapter.ensureGroup(spec, 'g');
    await adapter.publish([message(spec, 0, 'warm-up')]);
    const model = await (adapter as unknown as { [kLink]: Link })[kLink].get();
    const socket = (model.connection as unknown as { stream: { _write: unknown; _writev: unknown } }).stream;
    let writes = 0;
    for (const method of ['_write', '_writev'] as const) {
      const original = socket[method] as (...args: unknown[]) => unknown;
      socket[method] = function (this: unknown, ...args: unknown[]) {
        writes++;
        return original.apply(this, args);
      };
    }
    try {
      await adapter.publish(Array.from({ length: 500 }, (_, i) => message(spec, 0, i)));
    } finally {
      delete socket._write;
      delete socket._writev;
    }
    // amqplib writes each frame on its own; the adapter corks the socket while they are written.
    assert.ok(writes > 0 && writes < 50, `${writes} socket writes for 500 messages`);
  });

  test('a different partition count for an existing channel is refused', async () => {
    const { adapter, spec } = await setup(2);
    await adapter.ensureChannel(spec);
    await assert.rejects(adapter.ensureChannel({ ...spec, partitions: 3 }), (error: unknown) =>
      SwitchyardError.is(error, 'FAILED_PRECONDITION'),
    );
    await assert.rejects(adapter.publish([message(spec, 2, 1)]), (error: unknown) =>
      SwitchyardError.is(error, 'OUT_OF_RANGE'),
    );
  });

  test('a consumer whose channel conflicts with the existing one fails with FAILED_PRECONDITION', async () => {
    const { adapter, spec } = await setup(2);
    const events: ConsumerEvent[] = [];
    const consumer = adapter.consume({
      channel: { ...spec, partitions: 3 },
      group: unique('g'),
      member: 'm1',
      onEvent: (e) => events.push(e),
    });
    try {
      await assert.rejects(consumer[Symbol.asyncIterator]().next(), (error: unknown) =>
        SwitchyardError.is(error, 'FAILED_PRECONDITION'),
      );
    } finally {
      await consumer.close();
    }
  });

  test('deleteChannel removes group queues declared by another process', async () => {
    const { adapter, spec, prefix } = await setup(2);
    await adapter.ensureGroup(spec, 'g');
    const stranger = broker({ prefix });
    await stranger.deleteChannel(spec.name);
    const amqp = await loadAmqp();
    const conn = await amqp.connect(url);
    try {
      const names = namesFor(prefix, spec.name);
      for (const queue of [
        names.queue('g', 0),
        names.queue('g', 1),
        names.meta,
        names.groups,
        names.unrouted,
      ]) {
        const ch = await conn.createChannel();
        ch.on('error', () => {});
        await assert.rejects(ch.checkQueue(queue), (e: { code?: number }) => e.code === 404, queue);
      }
    } finally {
      await conn.close();
    }
  });

  test('deleteGroup from another process removes the group queues and its record, keeping the others', async () => {
    const { adapter, spec, prefix } = await setup(2);
    await adapter.ensureGroup(spec, 'gone');
    await adapter.ensureGroup(spec, 'kept');
    const stranger = broker({ prefix });
    await stranger.deleteGroup(spec.name, 'gone');
    const amqp = await loadAmqp();
    const conn = await amqp.connect(url);
    try {
      const names = namesFor(prefix, spec.name);
      for (const queue of [names.queue('gone', 0), names.queue('gone', 1)]) {
        const ch = await conn.createChannel();
        ch.on('error', () => {});
        await assert.rejects(ch.checkQueue(queue), (e: { code?: number }) => e.code === 404, queue);
      }
      const ch = await conn.createChannel();
      assert.equal((await ch.checkQueue(names.queue('kept', 1))).messageCount, 0);
      // One record left, the kept group's, so deleteChannel still finds its queues.
      assert.equal((await ch.checkQueue(names.groups)).messageCount, 1);
      // Not acknowledged: it goes back when the channel closes, for the clean-up's deleteChannel.
      const record = await ch.get(names.groups, { noAck: false });
      assert.ok(record);
      assert.deepEqual(JSON.parse(record.content.toString('utf8')), { group: 'kept', partitions: 2 });
      await ch.close();
    } finally {
      await conn.close();
    }
  });

  test('an expiring channel lives while consumed and is removed once its consumer is gone', async () => {
    const prefix = unique('sytest');
    const adapter = broker({ prefix });
    const spec: ChannelSpec = { name: unique('replies'), partitions: 1, idleExpiryMs: 3_000 };
    cleanups.push(async () => {
      const cleaner = rabbitMqBroker({ url, prefix });
      await cleaner.deleteChannel(spec.name);
      await cleaner.close();
    });
    await adapter.ensureChannel(spec);
    const consumer = adapter.consume({ channel: spec, group: 'me', member: 'me' });
    const names = namesFor(prefix, spec.name);
    const queues = [names.queue('me', 0), names.meta, names.groups, names.unrouted, names.dead];
    const amqp = await loadAmqp();
    const conn = await amqp.connect(url);
    const missing = async (
      check: (ch: Awaited<ReturnType<typeof conn.createChannel>>) => Promise<unknown>,
    ) => {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      return check(ch).then(
        () => (ch.close().catch(() => {}), false),
        (e: { code?: number }) => e.code === 404,
      );
    };
    try {
      // A dead letter and an unrouted message, which must stay while the channel is consumed.
      const kept = await conn.createConfirmChannel();
      for (const exchange of [names.dead, names.unrouted])
        kept.publish(exchange, '', Buffer.from('kept'), { persistent: true });
      await kept.waitForConfirms();
      await kept.close();
      // Over two expiry periods with a consumer: every queue is still there (renewed), and it delivers.
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      for (const queue of queues) assert.equal(await missing((ch) => ch.checkQueue(queue)), false, queue);
      const inspect = await conn.createChannel();
      for (const queue of [names.dead, names.unrouted])
        assert.equal((await inspect.checkQueue(queue)).messageCount, 1, `${queue} lost what it held`);
      await inspect.close();
      await adapter.publish([message(spec, 0, 'late')]);
      const [delivery] = await take(consumer, 1, { ack: true });
      assert.equal(delivery!.headers.n, 'late');
      await consumer.close();
      // Nobody consumes now (as after a crash, which deletes nothing): the channel goes.
      const deadline = Date.now() + 15_000;
      for (const queue of queues)
        while (!(await missing((ch) => ch.checkQueue(queue)))) {
          assert.ok(Date.now() < deadline, `${queue} did not expire`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      for (const exchange of [names.exchange, names.unrouted, names.dead])
        assert.equal(await missing((ch) => ch.checkExchange(exchange)), true, exchange);
      // A late reply to the gone channel fails alone, with NOT_FOUND.
      await assert.rejects(adapter.publish([message(spec, 0, 'too late')]), (error: unknown) =>
        SwitchyardError.is(error, 'NOT_FOUND'),
      );
    } finally {
      await conn.close();
    }
  });

  test('an existing group without expiry, consumed with idleExpiryMs, keeps working and stays', async () => {
    const { adapter, spec, prefix } = await setup(2);
    await adapter.ensureGroup(spec, 'kept');
    const consumer = adapter.consume({
      channel: spec,
      group: 'kept',
      member: unique('m'),
      idleExpiryMs: 1_000,
    });
    await adapter.publish([message(spec, 0, 1), message(spec, 1, 2)]);
    const got = await take(consumer, 2, { ack: true });
    assert.deepEqual(got.map((d) => d.headers.n).sort(), ['1', '2']);
    await consumer.close();
    await adapter.publish([message(spec, 1, 3)]);
    // Past its idleExpiryMs and a quorum queue's expiry check (every 5 s): the group kept its settings.
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    assert.deepEqual(
      (await adapter.peek(spec.name, 'kept')).map((m) => m.headers.n),
      ['3'],
    );
    const amqp = await loadAmqp();
    const conn = await amqp.connect(url);
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      await assert.rejects(
        ch.checkExchange(namesFor(prefix, spec.name).lease('kept')),
        (e: { code?: number }) => e.code === 404,
      );
    } finally {
      await conn.close();
    }
  });

  test('a lapsed expiring group goes with its record when the next expiring group is made', async () => {
    const { adapter, spec, prefix } = await setup(1);
    const member = (group: string) => {
      let assigned!: () => void;
      const ready = new Promise<void>((resolve) => (assigned = resolve));
      const consumer = adapter.consume({
        channel: spec,
        group,
        member: unique('m'),
        idleExpiryMs: 1_000,
        onEvent: (e) => e.type === 'assigned' && assigned(),
      });
      return { consumer, ready };
    };
    const first = member('tail-1');
    await first.ready;
    await first.consumer.close();
    // Past its lease, whether or not RabbitMQ's own expiry check has deleted its queue yet.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const second = member('tail-2');
    await second.ready;
    await adapter.publish([message(spec, 0, 1)]);
    assert.equal((await take(second.consumer, 1, { ack: true }))[0]!.headers.n, '1');
    const names = namesFor(prefix, spec.name);
    const amqp = await loadAmqp();
    const conn = await amqp.connect(url);
    try {
      for (const check of [
        (ch: Channel) => ch.checkQueue(names.queue('tail-1', 0)),
        (ch: Channel) => ch.checkQueue(names.lease('tail-1')),
        (ch: Channel) => ch.checkExchange(names.lease('tail-1')),
      ]) {
        const ch = await conn.createChannel();
        ch.on('error', () => {});
        await assert.rejects(check(ch), (e: { code?: number }) => e.code === 404);
      }
      const ch = await conn.createChannel();
      assert.equal((await ch.checkQueue(names.groups)).messageCount, 1);
      // Not acknowledged: it goes back when the channel closes, for the clean-up's deleteChannel.
      const record = await ch.get(names.groups, { noAck: false });
      assert.ok(record);
      assert.deepEqual(JSON.parse(record.content.toString('utf8')), {
        group: 'tail-2',
        partitions: 1,
        idleExpiryMs: 1_000,
      });
      await ch.close();
    } finally {
      await conn.close();
      await second.consumer.close();
    }
  });

  test('recovers after the connection is cut: consumers resubscribe, publish works again', async () => {
    const { adapter, spec } = await setup(1);
    await adapter.ensureGroup(spec, 'g');
    const events: ConsumerEvent[] = [];
    const consumer = adapter.consume({
      channel: spec,
      group: 'g',
      member: 'm',
      onEvent: (e) => events.push(e),
    });
    await adapter.publish([message(spec, 0, 1), message(spec, 0, 2)]);
    const [first] = await take(consumer, 1);
    assert.equal(first!.headers.n, '1');

    // Destroy our own socket (the broker is shared: never close other runs' connections).
    const link = (adapter as unknown as { [kLink]: Link })[kLink];
    const model = await link.get();
    // With an error, as a reset connection would: a bare destroy() emits neither 'end' nor 'error',
    // which amqplib would only notice at the next missed heartbeat.
    (model.connection as unknown as { stream: { destroy(e: Error): void } }).stream.destroy(new Error('cut'));

    // The unacked message 1 comes again after resubscribing; an ack on the dead channel is dropped.
    await first!.ack();
    const got = await take(consumer, 2, { ms: 15_000, ack: true });
    assert.deepEqual(
      got.map((d) => d.headers.n),
      ['1', '2'],
    );
    assert.ok(got[0]!.deliveryCount >= 2);
    assert.deepEqual(
      events.map((e) => e.type),
      ['assigned', 'revoked', 'disconnected', 'reconnected', 'assigned'],
    );
    await adapter.publish([message(spec, 0, 3)]);
    const [third] = await take(consumer, 1);
    assert.equal(third!.headers.n, '3');
    await third!.ack();
    await consumer.close();
  });
});
