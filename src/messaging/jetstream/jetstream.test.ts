import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import type { ChannelSpec, Consumer, ConsumerEvent, Delivery, OutgoingMessage } from '../adapter.js';
import { deliveredOf } from './consumer.js';
import {
  jetStreamBroker,
  namesFor,
  token,
  type JetStreamBroker,
  type JetStreamBrokerOptions,
} from './index.js';
import { loadNats } from './link.js';
import { startPrivateNatsServer } from './private-server.js';
import { deletePrefixStreams } from './purge.js';

// The NATS server is shared with other test runs: every test uses its own prefix and deletes what it made.
const servers = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const unique = (kind: string) => `${kind}-${randomBytes(4).toString('hex')}`;

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

function broker(options: JetStreamBrokerOptions): JetStreamBroker {
  const adapter = jetStreamBroker({ servers, leaseMs: 3_000, ...options });
  cleanups.push(() => adapter.close());
  return adapter;
}

async function setup(partitions: number, options: JetStreamBrokerOptions = {}) {
  const prefix = options.prefix ?? unique('sytest').replace('-', '_');
  const url = typeof options.servers === 'string' ? options.servers : servers;
  cleanups.push(() => deletePrefixStreams(url, prefix));
  const adapter = broker({ ...options, prefix });
  const spec: ChannelSpec = { name: unique('ch'), partitions };
  await adapter.ensureChannel(spec);
  return { adapter, spec, prefix };
}

function message(spec: ChannelSpec, partition: number, n: number | string): OutgoingMessage {
  return {
    channel: spec.name,
    partition,
    id: `m-${partition}-${n}`,
    headers: { n: String(n), 'X-Mixed-Case': 'v' },
    body: new TextEncoder().encode(`body ${n}`),
  };
}

/** The next `count` deliveries of a consumer, failing after `ms`. */
const pending = new WeakMap<Consumer, Promise<IteratorResult<Delivery>>>();

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
      const waiting = pending.get(consumer) ?? it.next();
      pending.set(consumer, waiting);
      const next = await Promise.race([waiting, timeout]);
      pending.delete(consumer);
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

/** Waits until `check` holds, polling; fails after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Tracks a consumer's owned partitions from its events. */
function ownership() {
  const owned = new Set<number>();
  const events: ConsumerEvent[] = [];
  return {
    owned,
    events,
    onEvent: (event: ConsumerEvent) => {
      events.push(event);
      if (event.type === 'assigned') for (const p of event.partitions) owned.add(p);
      if (event.type === 'revoked') for (const p of event.partitions) owned.delete(p);
    },
  };
}

describe('JetStream names', () => {
  test('tokens keep safe names and make others safe and distinct', () => {
    assert.equal(token('orders'), 'orders');
    assert.match(token('orders.created'), /^orders_created-[0-9a-f]{8}$/);
    assert.notEqual(token('a.b'), token('a_b'));
    const names = namesFor('sy', 'orders');
    assert.equal(names.stream, 'sy_orders');
    assert.equal(names.subjects, 'sy.orders.p.*');
    assert.equal(names.subject(3), 'sy.orders.p.3');
    assert.equal(names.durable('kitchen', 2), 'kitchen_p2');
    assert.throws(() => jetStreamBroker({ prefix: 'a.b' }), SwitchyardError);
  });

  test('delivery count comes from the ack subject (v1 and v2 forms)', () => {
    assert.equal(deliveredOf('$JS.ACK.s.c.3.10.9.1700000000.0'), 3);
    assert.equal(deliveredOf('$JS.ACK.dom.hash.s.c.2.10.9.1700000000.0.rnd'), 2);
  });
});

describe('JetStream broker adapter', { timeout: 90_000 }, () => {
  test('publish confirms, then delivers each partition in publish order, one in flight', async () => {
    const { adapter, spec } = await setup(2);
    const batch = [];
    for (let n = 0; n < 10; n++) batch.push(message(spec, n % 2, n));
    await adapter.publish(batch);

    const consumer = adapter.consume({ channel: spec, group: 'g', member: unique('m') });
    const got: Delivery[] = [];
    // One in flight per partition: at most two deliveries until something is acknowledged.
    const firstTwo = await take(consumer, 2);
    assert.equal(await next(consumer, 1_500), undefined);
    got.push(...firstTwo);
    for (const d of firstTwo) await d.ack();
    while (got.length < 10) {
      const [d] = await take(consumer, 1);
      got.push(d!);
      await d!.ack();
    }
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
    assert.equal(first.headers['X-Mixed-Case'], 'v');
    assert.equal(first.headers['Nats-Msg-Id'], undefined);
    assert.equal(new TextDecoder().decode(first.body), 'body 0');
  });

  test('every group receives every message (fan-out)', async () => {
    const { adapter, spec } = await setup(1);
    await adapter.publish([message(spec, 0, 1), message(spec, 0, 2)]);
    const consumers = ['a', 'b'].map((group) =>
      adapter.consume({ channel: spec, group, member: unique('m') }),
    );
    for (const consumer of consumers) {
      const [one] = await take(consumer, 1);
      await one!.ack();
      const [two] = await take(consumer, 1);
      await two!.ack();
      assert.deepEqual([one!.headers.n, two!.headers.n], ['1', '2']);
    }
    await Promise.all(consumers.map((c) => c.close()));
  });

  test('two members split the partitions and each gets only its own', async () => {
    const { adapter, spec } = await setup(4);
    const a = ownership();
    const b = ownership();
    const ca = adapter.consume({ channel: spec, group: 'g', member: unique('a'), onEvent: a.onEvent });
    await until(() => a.owned.size === 4, 8_000, 'first member to own all');
    const cb = adapter.consume({ channel: spec, group: 'g', member: unique('b'), onEvent: b.onEvent });
    await until(() => a.owned.size === 2 && b.owned.size === 2, 10_000, 'a 2/2 split');
    assert.deepEqual([...a.owned, ...b.owned].sort(), [0, 1, 2, 3]);

    await adapter.publish([0, 1, 2, 3].map((p) => message(spec, p, `x${p}`)));
    const [ga, gb] = await Promise.all([take(ca, 2), take(cb, 2)]);
    for (const d of [...ga, ...gb]) await d.ack();
    assert.deepEqual(ga.map((d) => d.partition).sort(), [...a.owned].sort());
    assert.deepEqual(gb.map((d) => d.partition).sort(), [...b.owned].sort());

    // When one closes, the other takes everything back.
    await cb.close();
    await until(() => a.owned.size === 4, 8_000, 'the survivor to own all');
    await ca.close();
  });

  test('an unacknowledged message goes to the next owner when its member closes', async () => {
    const { adapter, spec } = await setup(1);
    await adapter.publish([message(spec, 0, 1), message(spec, 0, 2)]);
    const first = adapter.consume({ channel: spec, group: 'g', member: unique('m') });
    const [d] = await take(first, 1);
    assert.equal(d!.headers.n, '1');
    const second = adapter.consume({ channel: spec, group: 'g', member: unique('m') });
    const started = Date.now();
    await first.close(); // without acking
    const [again] = await take(second, 1);
    assert.equal(again!.headers.n, '1');
    assert.equal(again!.deliveryCount, 2);
    assert.ok(Date.now() - started < 3_000, 'handed over before the lease would expire');
    await again!.ack();
    await d!.ack(); // stale: ignored
    const [two] = await take(second, 1);
    assert.equal(two!.headers.n, '2');
    await two!.ack();
    await second.close();
  });

  test('a partition handed to another member mid-stream moves on without redelivering its next message', async () => {
    const { adapter, spec } = await setup(2);
    const a = ownership();
    const first = adapter.consume({ channel: spec, group: 'g', member: unique('a'), onEvent: a.onEvent });
    await until(() => a.owned.size === 2, 8_000, 'the first member to own both');
    await adapter.publish([0, 1, 2, 3, 4, 5].map((n) => message(spec, n % 2, n)));
    for (const d of await take(first, 2)) await d.ack();
    // A second member makes the first give one partition back; its open pull request must end before
    // the partition's last ack, or the server hands the next message to a member that is leaving.
    const b = ownership();
    const second = adapter.consume({ channel: spec, group: 'g', member: unique('b'), onEvent: b.onEvent });
    const got: Delivery[] = [];
    const drain = async (consumer: Consumer) => {
      for (;;) {
        const [d] = await take(consumer, 1, 3_000).catch(() => []);
        if (!d) return;
        got.push(d);
        await d.ack();
      }
    };
    await Promise.all([drain(first), drain(second), until(() => b.owned.size === 1, 10_000, 'a 1/1 split')]);
    assert.deepEqual(got.map((d) => d.headers.n).sort(), ['2', '3', '4', '5']);
    assert.deepEqual(
      got.map((d) => d.deliveryCount),
      [1, 1, 1, 1],
    );
    await Promise.all([first.close(), second.close()]);
  });

  test('nak(delay) redelivers after the delay, holding the partition meanwhile', async () => {
    const { adapter, spec } = await setup(1);
    await adapter.publish([message(spec, 0, 1), message(spec, 0, 2)]);
    const consumer = adapter.consume({ channel: spec, group: 'g', member: unique('m') });
    const [d] = await take(consumer, 1);
    const started = Date.now();
    await d!.nak(1_200);
    const [again] = await take(consumer, 1);
    assert.equal(again!.headers.n, '1');
    assert.equal(again!.deliveryCount, 2);
    assert.ok(Date.now() - started >= 1_000, `redelivered after ${Date.now() - started} ms`);
    await again!.ack();
    const [two] = await take(consumer, 1);
    assert.equal(two!.headers.n, '2');
    await two!.ack();
    await consumer.close();
  });

  test('publish is de-duplicated by id within the window', async () => {
    const { adapter, spec } = await setup(1);
    await adapter.publish([message(spec, 0, 1)]);
    await adapter.publish([message(spec, 0, 1), message(spec, 0, 2)]);
    const consumer = adapter.consume({ channel: spec, group: 'g', member: unique('m') });
    const [one] = await take(consumer, 1);
    await one!.ack();
    const [two] = await take(consumer, 1);
    await two!.ack();
    assert.deepEqual([one!.headers.n, two!.headers.n], ['1', '2']);
    assert.equal(await next(consumer, 1_500), undefined);
    await consumer.close();
  });

  test('ensureChannel is idempotent and refuses another partition count; bad partitions are rejected', async () => {
    const { adapter, spec } = await setup(2);
    await adapter.ensureChannel(spec);
    await assert.rejects(adapter.ensureChannel({ ...spec, partitions: 3 }), (error: unknown) => {
      assert.ok(error instanceof SwitchyardError);
      assert.equal(error.code, 'FAILED_PRECONDITION');
      return true;
    });
    await assert.rejects(adapter.publish([message(spec, 2, 1)]), { code: 'OUT_OF_RANGE' });
  });

  test('a partition keeps its worker when the clock jumps past the lease', async () => {
    const { adapter, spec } = await setup(1);
    const consumer = adapter.consume({ channel: spec, group: 'g', member: unique('m') });
    await adapter.publish([message(spec, 0, 1)]);
    const [one] = await take(consumer, 1);
    await one!.ack();
    // The worker sees its lease as stale and stops; the next renewal succeeds, so work must resume.
    const realNow = Date.now;
    Date.now = () => realNow() + 4_000;
    try {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await adapter.publish([message(spec, 0, 2)]);
      const [two] = await take(consumer, 1);
      assert.equal(two!.headers.n, '2');
      await two!.ack();
    } finally {
      Date.now = realNow;
    }
    await consumer.close();
  });

  test('deleteChannel removes the stream', async () => {
    const { adapter, spec } = await setup(1);
    await adapter.publish([message(spec, 0, 1)]);
    await adapter.deleteChannel(spec.name);
    await assert.rejects(adapter.publish([message(spec, 0, 2)]));
  });
});

describe('JetStream idle expiry', { timeout: 60_000 }, () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const encoder = new TextEncoder();

  /** Adapters on one fresh prefix that sweep only when told (`sweepIdle`), and a KV view of its buckets. */
  async function expiring(instances = 2) {
    const prefix = unique('syidle').replace('-', '_');
    cleanups.push(() => deletePrefixStreams(servers, prefix));
    const adapters = Array.from({ length: instances }, () => broker({ prefix, expirySweepMs: 0 }));
    const nats = await loadNats();
    const nc = await nats.connect({ servers });
    cleanups.push(() => nc.close());
    const js = nc.jetstream();
    const jsm = await nc.jetstreamManager();
    const exists = (name: string) =>
      jsm.streams.info(namesFor(prefix, name).stream).then(
        () => true,
        () => false,
      );
    /** Every message (delete markers too) the channel keeps in the lease bucket. */
    const leaseKeys = async (name: string) => {
      const subject = `$KV.${prefix}_leases.${namesFor(prefix, name).keys}`;
      const info = await jsm.streams.info(`KV_${prefix}_leases`, { subjects_filter: subject });
      return Object.keys(info.state.subjects ?? {});
    };
    const leases = () => js.views.kv(`${prefix}_leases`, { ttl: 3_000, history: 1 });
    const markers = (idleExpiryMs: number) =>
      js.views.kv(`${prefix}_idle_${idleExpiryMs}`, { ttl: idleExpiryMs, history: 1 });
    return { prefix, adapters, exists, leaseKeys, leases, markers };
  }

  test('a consumed channel outlives its idle expiry, even renewed less often; once closed it goes with its keys', async () => {
    const { adapters, exists, leaseKeys, leases } = await expiring();
    const [owner, other] = adapters as [JetStreamBroker, JetStreamBroker];
    // Shorter than a renewal (lease/3 = 1 s): the marker lapses between ticks, the heartbeat holds it.
    const spec: ChannelSpec = { name: unique('replies'), partitions: 1, idleExpiryMs: 400 };
    const plain: ChannelSpec = { name: unique('plain'), partitions: 1 };
    await owner.ensureChannel(spec);
    await owner.ensureChannel(plain);
    const { owned, onEvent } = ownership();
    const consumer = owner.consume({ channel: spec, group: 'g', member: unique('m'), onEvent });
    await until(() => owned.size === 1, 8_000, 'the member to own the partition');
    for (let i = 0; i < 8; i++) {
      assert.deepEqual(await other.sweepIdle(), []);
      await sleep(300);
    }
    await other.publish([message(spec, 0, 1)]);
    const [d] = await take(consumer, 1);
    await d!.ack();
    await consumer.close();
    // A lease left behind (as by a member that crashed) goes with the channel.
    await (await leases()).put(`${token(spec.name)}.g.l.7`, encoder.encode('ghost'));
    assert.ok((await leaseKeys(spec.name)).length > 0);

    await sleep(600);
    assert.deepEqual(await other.sweepIdle(), [spec.name]);
    assert.equal(await exists(spec.name), false);
    assert.deepEqual(await leaseKeys(spec.name), []);
    assert.equal(await exists(plain.name), true, 'a channel without idleExpiryMs is never swept');
    // The owner cached the partition count: its publish still fails and brings nothing back.
    await assert.rejects(owner.publish([message(spec, 0, 2)]), { code: 'NOT_FOUND' });
    await assert.rejects(owner.peek(spec.name, 'g'), (e: unknown) => {
      assert.ok(SwitchyardError.is(e, 'NOT_FOUND'));
      assert.equal(e.details.group, undefined);
      return true;
    });
    assert.equal(await exists(spec.name), false);
  });

  test('a live heartbeat of a member that stopped renewing the marker keeps the channel until it expires', async () => {
    const { adapters, exists, leases } = await expiring(1);
    const [adapter] = adapters as [JetStreamBroker];
    const spec: ChannelSpec = { name: unique('replies'), partitions: 1, idleExpiryMs: 300 };
    await adapter.ensureChannel(spec);
    // What a member that crashed right after a tick leaves: its heartbeat, for one lease (3 s).
    const started = Date.now();
    await (await leases()).put(`${token(spec.name)}.g.m.crashed`, encoder.encode('crashed'));
    while (Date.now() - started < 2_500) {
      assert.deepEqual(await adapter.sweepIdle(), []);
      await sleep(250);
    }
    await sleep(started + 3_500 - Date.now());
    assert.deepEqual(await adapter.sweepIdle(), [spec.name]);
    assert.equal(await exists(spec.name), false);
  });

  test('ensureChannel counts as a use, the first idleExpiryMs declared stays, and concurrent sweeps are harmless', async () => {
    const { adapters, exists } = await expiring(3);
    const [first, second, third] = adapters as [JetStreamBroker, JetStreamBroker, JetStreamBroker];
    const spec: ChannelSpec = { name: unique('replies'), partitions: 2, idleExpiryMs: 1_500 };
    await first.ensureChannel(spec);
    assert.deepEqual(await second.sweepIdle(), [], 'just declared, not consumed yet');
    // Another adapter declares it again later, with another expiry: a use of the stored one.
    await sleep(1_000);
    await second.ensureChannel({ ...spec, idleExpiryMs: 60_000 });
    await sleep(1_000);
    assert.deepEqual(await third.sweepIdle(), []);
    await sleep(700);
    const swept = await Promise.all(adapters.map((a) => (a as JetStreamBroker).sweepIdle()));
    assert.ok(swept.flat().includes(spec.name));
    assert.equal(await exists(spec.name), false);
    await assert.rejects(second.publish([message(spec, 1, 1)]), { code: 'NOT_FOUND' });
    await assert.rejects(first.ensureChannel({ ...spec, idleExpiryMs: 0 }), { code: 'INVALID_ARGUMENT' });
  });

  test('a sweep interrupted after its claim is finished by the next one, unless a use came in between', async () => {
    const { adapters, exists, markers } = await expiring(1);
    const [adapter] = adapters as [JetStreamBroker];
    const abandoned: ChannelSpec = { name: unique('replies'), partitions: 1, idleExpiryMs: 60_000 };
    const revived: ChannelSpec = { name: unique('replies'), partitions: 1, idleExpiryMs: 60_000 };
    await adapter.ensureChannel(abandoned);
    await adapter.ensureChannel(revived);
    const kv = await markers(60_000);
    await kv.put(token(abandoned.name), encoder.encode('removing'));
    await kv.put(token(revived.name), encoder.encode('removing'));
    await adapter.ensureChannel(revived);
    assert.deepEqual(await adapter.sweepIdle(), [abandoned.name]);
    assert.equal(await exists(abandoned.name), false);
    assert.equal(await exists(revived.name), true);
  });

  test('the sweep timer removes an idle channel by itself', async () => {
    const prefix = unique('syidle').replace('-', '_');
    cleanups.push(() => deletePrefixStreams(servers, prefix));
    const adapter = broker({ prefix, expirySweepMs: 300 });
    const spec: ChannelSpec = { name: unique('replies'), partitions: 1, idleExpiryMs: 500 };
    const started = Date.now();
    await adapter.ensureChannel(spec);
    let gone = false;
    while (!gone && Date.now() - started < 5_000) {
      await sleep(100);
      gone = await adapter.peek(spec.name, 'g').then(
        () => false,
        (e: unknown) => SwitchyardError.is(e, 'NOT_FOUND') && e.details.group === undefined,
      );
    }
    assert.ok(gone, 'removed by the timer');
    assert.ok(Date.now() - started >= 500, 'not before its idle expiry');
  });
});

describe('JetStream group idle expiry', { timeout: 60_000 }, () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test('a live member keeps every durable of its group, pulled or not; a group that existed keeps its settings', async () => {
    const { adapter, spec, prefix } = await setup(2);
    const names = namesFor(prefix, spec.name);
    const nats = await loadNats();
    const nc = await nats.connect({ servers });
    cleanups.push(() => nc.close());
    const jsm = await nc.jetstreamManager();
    const leases = await nc.jetstream().views.kv(`${prefix}_leases`, { ttl: 3_000, history: 1 });
    const durable = (group: string, p: number) =>
      jsm.consumers.info(names.stream, names.durable(group, p)).then(
        (info) => info.config.inactive_threshold ?? 0,
        () => undefined,
      );
    const idleExpiryMs = 1_000;
    const tail = unique('tail');
    const kept = unique('kept');
    await adapter.ensureChannel({ ...spec, groups: [kept] });

    // Partition 1's lease held by a member that died (renewed here): nobody pulls that partition.
    const ghost = async () => leases.put(names.lease(tail, 1), new TextEncoder().encode('ghost'));
    await ghost();
    const renewing = setInterval(() => void ghost().catch(() => {}), 500);
    try {
      const { owned, onEvent } = ownership();
      const consumer = adapter.consume({
        channel: spec,
        group: tail,
        member: unique('m'),
        start: 'end',
        idleExpiryMs,
        onEvent,
      });
      const existing = adapter.consume({ channel: spec, group: kept, member: unique('m'), idleExpiryMs });
      await until(() => owned.has(0), 8_000, 'the member to own partition 0');
      assert.equal(owned.has(1), false);
      await adapter.publish([message(spec, 0, 1)]);
      // Held by the handler for three periods: no pull request is open on partition 0 meanwhile.
      const [held] = await take(consumer, 1);
      await sleep(idleExpiryMs * 3);
      assert.equal(await durable(tail, 0), nats.nanos(idleExpiryMs), 'the partition held by a handler');
      assert.equal(await durable(tail, 1), nats.nanos(idleExpiryMs), 'the partition nobody pulls');
      await held!.ack();
      await Promise.all([consumer.close(), existing.close()]);
    } finally {
      clearInterval(renewing);
    }

    // Without a member, the server removes the group's durables: peek and lag no longer know it.
    const closed = Date.now();
    for (;;) {
      const gone = await adapter.peek(spec.name, tail).then(
        () => false,
        (e: unknown) => SwitchyardError.is(e, 'NOT_FOUND') && e.details.group === tail,
      );
      if (gone) break;
      assert.ok(Date.now() - closed < idleExpiryMs + 2_000, 'the expiring group was not removed');
      await sleep(100);
    }
    await assert.rejects(adapter.lag!(spec.name, tail), { code: 'NOT_FOUND' });
    assert.deepEqual([await durable(tail, 0), await durable(tail, 1)], [undefined, undefined]);
    // Declared before it was consumed with idleExpiryMs: never expires.
    assert.deepEqual([await durable(kept, 0), await durable(kept, 1)], [0, 0]);
    assert.equal((await adapter.peek(spec.name, kept)).length, 1);

    const invalid = adapter.consume({
      channel: spec,
      group: unique('g'),
      member: unique('m'),
      idleExpiryMs: 0,
    });
    await assert.rejects(take(invalid, 1), { code: 'INVALID_ARGUMENT' });
    await invalid.close();
  });
});

describe('JetStream broker adapter across a server restart', { timeout: 120_000 }, () => {
  test('no message acknowledged as published is lost, consumption resumes', async () => {
    const server = await startPrivateNatsServer();
    cleanups.push(() => server.dispose());
    const { adapter, spec } = await setup(2, { servers: server.url, publishTimeoutMs: 20_000 });
    const events: ConsumerEvent[] = [];
    const consumer = adapter.consume({
      channel: spec,
      group: 'g',
      member: unique('m'),
      onEvent: (e) => events.push(e),
    });
    const confirmed = new Set<string>();
    const received = new Set<string>();
    let stop = false;
    const consuming = (async () => {
      for await (const d of consumer) {
        received.add(d.headers.n!);
        await d.ack();
      }
    })();
    const publishing = (async () => {
      for (let n = 0; !stop; n++) {
        try {
          await adapter.publish([message(spec, n % 2, n)]);
          confirmed.add(String(n));
        } catch {
          // Not confirmed: may or may not be there.
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await until(() => confirmed.size >= 20, 10_000, 'some traffic');
    await server.restart();
    const before = confirmed.size;
    await until(() => confirmed.size >= before + 20, 30_000, 'publishing to resume');
    stop = true;
    await publishing;
    await until(() => [...confirmed].every((n) => received.has(n)), 30_000, 'every confirmed message');
    await consumer.close();
    await consuming;
    assert.ok(events.some((e) => e.type === 'disconnected'));
    assert.ok(events.some((e) => e.type === 'reconnected'));
  });
});
