import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { command, contract, event, Type } from '../../contract/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { Context } from '../../runtime/index.js';
import type { BrokerAdapter, Delivery } from '../adapter.js';
import { eventually } from '../conformance/support.js';
import { deadLetterChannel, deadLetterHeaders, replayOf } from './dead-letter.js';
import { createMessaging } from './messaging.js';
import type { Messaging, MessagingOptions } from './types.js';

/** A contract with a unique name, so its channels belong to this run only. */
export function testContract() {
  const name = `kitchen-${randomBytes(4).toString('hex')}`;
  const Ticket = Type.Object({
    orderId: Type.String(),
    seq: Type.Integer({ minimum: 0 }),
    fail: Type.Optional(Type.Union([Type.Literal('always'), Type.Literal('once'), Type.Literal('reject')])),
  });
  return contract({
    name,
    version: '1.0.0',
    commands: {
      createTicket: command({ payload: Ticket, partitionKey: 'orderId' }),
      quote: command({
        payload: Type.Object({ orderId: Type.String(), fail: Type.Optional(Type.Boolean()) }),
        reply: Type.Object({ orderId: Type.String(), price: Type.Number(), by: Type.String() }),
      }),
    },
    events: {
      ticketCreated: event({ payload: Ticket, partitionKey: 'orderId' }),
    },
  });
}

export interface MessagingHarness {
  create(): Promise<BrokerAdapter>;
}

/**
 * The typed messaging layer's guarantees, run against every adapter and its real engine: typed
 * commands and events, bad payloads refused at the sender, per-key order under concurrency, fan-out,
 * retries then dead letters with the reason, poison messages dead-lettered at once, replies that find
 * the instance that asked, gathered replies, and replay of dead letters.
 */
export function describeMessaging(name: string, harness: MessagingHarness): void {
  describe(`messaging on ${name}`, () => {
    let broker: BrokerAdapter;
    const open: Messaging[] = [];
    const channels = new Set<string>();
    const bus = (service: string, options: Partial<MessagingOptions> = {}) => {
      const m = createMessaging({
        broker,
        service,
        retry: { attempts: 3, initialDelayMs: 5, maxDelayMs: 20 },
        ...options,
      });
      open.push(m);
      return m;
    };
    const track = (c: ReturnType<typeof testContract>) => {
      channels.add(`${c.name}.commands`).add(`${c.name}.events`);
      channels.add(deadLetterChannel(`${c.name}.commands`)).add(deadLetterChannel(`${c.name}.events`));
      return c;
    };

    before(async () => {
      broker = await harness.create();
    });
    after(async () => {
      await Promise.all(open.map((m) => m.close()));
      for (const channel of channels) await broker.deleteChannel(channel).catch(() => undefined);
      await broker.close();
    });

    it('delivers typed commands to one member of the group, in order per key', async () => {
      const Kitchen = track(testContract());
      const seen = new Map<string, number[]>();
      let handled = 0;
      const handler = async (p: { orderId: string; seq: number }) => {
        seen.set(p.orderId, [...(seen.get(p.orderId) ?? []), p.seq]);
        handled++;
      };
      const a = bus('kitchen');
      const b = bus('kitchen');
      await a.handle(Kitchen, { createTicket: handler });
      await b.handle(Kitchen, { createTicket: handler });
      const sender = bus('orders');
      for (let seq = 0; seq < 20; seq++)
        await Promise.all(
          Array.from({ length: 10 }, (_, k) =>
            sender.send(Kitchen, 'createTicket', { orderId: `o${k}`, seq }),
          ),
        );
      await eventually(
        () => handled >= 200,
        30_000,
        () => `handled ${handled} of 200`,
      );
      assert.equal(handled, 200);
      for (const [key, seqs] of seen) assert.deepEqual(seqs, [...Array(20).keys()], `order of ${key}`);
    });

    it('refuses a payload that breaks its schema at the sender, sending nothing', async () => {
      const Kitchen = track(testContract());
      const sender = bus('orders');
      await assert.rejects(
        sender.send(Kitchen, 'createTicket', { orderId: 'x', seq: -1 }),
        (e: unknown) =>
          SwitchyardError.is(e, 'INVALID_ARGUMENT') && e.details.violations![0]!.path === '/seq',
      );
      await assert.rejects(
        // @ts-expect-error: an unknown command is a type error too
        sender.send(Kitchen, 'nope', {}),
        (e: unknown) => SwitchyardError.is(e, 'UNIMPLEMENTED'),
      );
    });

    it('gives every group a copy of each event', async () => {
      const Kitchen = track(testContract());
      const got = { a: [] as number[], b: [] as number[] };
      await bus('accounting').subscribe(Kitchen, { ticketCreated: (p) => void got.a.push(p.seq) });
      await bus('billing').subscribe(Kitchen, { ticketCreated: (p) => void got.b.push(p.seq) });
      const sender = bus('kitchen');
      for (let seq = 0; seq < 5; seq++)
        await sender.publish(Kitchen, 'ticketCreated', { orderId: 'o1', seq });
      await eventually(
        () => got.a.length === 5 && got.b.length === 5,
        20_000,
        () => JSON.stringify(got),
      );
      assert.deepEqual(got, { a: [0, 1, 2, 3, 4], b: [0, 1, 2, 3, 4] });
    });

    it('retries a failing handler in-process, then dead-letters it with reason, error, attempts and headers', async () => {
      const Kitchen = track(testContract());
      const runs = new Map<number, number>();
      const done: number[] = [];
      await bus('kitchen').handle(Kitchen, {
        createTicket: (p) => {
          runs.set(p.seq, (runs.get(p.seq) ?? 0) + 1);
          if (p.fail === 'always') throw new Error('kitchen on fire');
          if (p.fail === 'once' && runs.get(p.seq) === 1) throw new Error('blip');
          if (p.fail === 'reject') throw new SwitchyardError('FAILED_PRECONDITION', 'restaurant closed');
          done.push(p.seq);
        },
      });
      const sender = bus('orders');
      await sender.send(Kitchen, 'createTicket', { orderId: 'o1', seq: 0, fail: 'always' });
      await sender.send(Kitchen, 'createTicket', { orderId: 'o1', seq: 1, fail: 'once' });
      await sender.send(Kitchen, 'createTicket', { orderId: 'o1', seq: 2, fail: 'reject' });
      await sender.send(Kitchen, 'createTicket', { orderId: 'o1', seq: 3 });
      await eventually(
        () => done.length === 2,
        20_000,
        () => `done ${done}`,
      );
      assert.deepEqual(done, [1, 3], 'the partition moved on past the dead letters, in order');
      assert.deepEqual([runs.get(0), runs.get(1), runs.get(2)], [3, 2, 1], 'a refusal is not retried');

      const dead = await drain(broker, deadLetterChannel(`${Kitchen.name}.commands`), 2);
      const [fire, closed] = dead.map((d) => d.headers);
      assert.equal(fire![deadLetterHeaders.reason], 'handler-failed');
      assert.equal(fire![deadLetterHeaders.attempts], '3');
      assert.equal(fire![deadLetterHeaders.group], 'kitchen');
      assert.match(fire![deadLetterHeaders.error]!, /kitchen on fire/);
      assert.equal(fire!['ce-type'], `${Kitchen.name}.createTicket`, 'original headers kept');
      assert.equal(closed![deadLetterHeaders.reason], 'rejected');
      assert.match(closed![deadLetterHeaders.error]!, /FAILED_PRECONDITION/);
    });

    it('dead-letters undecodable and schema-breaking messages at once, without running the handler', async () => {
      const Kitchen = track(testContract());
      let runs = 0;
      const channel = `${Kitchen.name}.commands`;
      await bus('kitchen', { defaultPartitions: 1 }).handle(Kitchen, { createTicket: () => void runs++ });
      const base = {
        channel,
        partition: 0,
        headers: {
          'ce-type': `${Kitchen.name}.createTicket`,
          'ce-id': 'x',
          'content-type': 'application/json',
        },
      };
      await broker.publish([
        { ...base, id: `bad-json-${Date.now()}`, body: Buffer.from('{"orderId":') },
        { ...base, id: `bad-schema-${Date.now()}`, body: Buffer.from('{"orderId":1}') },
        {
          ...base,
          id: `bad-type-${Date.now()}`,
          headers: { ...base.headers, 'ce-type': 'nope' },
          body: Buffer.from('{}'),
        },
      ]);
      const dead = await drain(broker, deadLetterChannel(channel), 3);
      assert.deepEqual(
        dead.map((d) => d.headers[deadLetterHeaders.reason]),
        ['undecodable', 'invalid-payload', 'unknown-type'],
      );
      assert.match(dead[1]!.headers[deadLetterHeaders.error]!, /orderId/);
      assert.equal(runs, 0);
    });

    it('answers requests to the instance that sent them, with replies and errors', async () => {
      const Kitchen = track(testContract());
      await bus('kitchen').handle(Kitchen, {
        quote: (p) => {
          if (p.fail) throw new SwitchyardError('NOT_FOUND', `no order ${p.orderId}`);
          return { orderId: p.orderId, price: 12.5, by: 'kitchen' };
        },
      });
      const [one, two] = [bus('orders'), bus('orders')];
      const replies = await Promise.all([
        one.request(Kitchen, 'quote', { orderId: 'a' }, { timeoutMs: 20_000 }),
        two.request(Kitchen, 'quote', { orderId: 'b' }, { timeoutMs: 20_000 }),
        one.request(Kitchen, 'quote', { orderId: 'c' }, { timeoutMs: 20_000 }),
      ]);
      assert.deepEqual(
        replies.map((r) => r.orderId),
        ['a', 'b', 'c'],
      );
      await assert.rejects(
        one.request(Kitchen, 'quote', { orderId: 'z', fail: true }, { timeoutMs: 20_000 }),
        (e: unknown) => SwitchyardError.is(e, 'NOT_FOUND') && /no order z/.test(e.message),
      );
    });

    it("carries the sender's call metadata (a gateway's caller identity) to the handler's context", async () => {
      const Kitchen = track(testContract());
      const seen: Record<string, string>[] = [];
      await bus('kitchen').handle(Kitchen, {
        quote: (p, ctx) => (seen.push({ ...ctx.metadata }), { orderId: p.orderId, price: 1, by: 'kitchen' }),
      });
      const parent = new Context({ metadata: { 'x-identity-subject': 'c-alice', tenant: 'acme' } });
      await bus('orders').request(Kitchen, 'quote', { orderId: 'm' }, { parent, timeoutMs: 20_000 });
      assert.deepEqual(seen, [{ 'x-identity-subject': 'c-alice', tenant: 'acme' }]);
    });

    it('rejects a request on its deadline when nobody answers', async () => {
      const Kitchen = track(testContract());
      const started = Date.now();
      await assert.rejects(
        bus('orders').request(Kitchen, 'quote', { orderId: 'a' }, { timeoutMs: 300 }),
        (e: unknown) => SwitchyardError.is(e, 'DEADLINE_EXCEEDED'),
      );
      assert.ok(Date.now() - started >= 290);
    });

    it('gathers replies from every group until the count', async () => {
      const Kitchen = track(testContract());
      for (const group of ['north', 'south', 'east'])
        await bus(group).handle(
          Kitchen,
          { quote: (p) => ({ orderId: p.orderId, price: group.length, by: group }) },
          { group },
        );
      const replies = await bus('orders').gather(
        Kitchen,
        'quote',
        { orderId: 'g' },
        { count: 3, timeoutMs: 20_000 },
      );
      assert.deepEqual(replies.map((r) => r.reply?.by).sort(), ['east', 'north', 'south']);
    });

    it('replays a dead letter to the group it failed in only', async () => {
      const Kitchen = track(testContract());
      let broken = true;
      const got = { kitchen: [] as number[], audit: [] as number[] };
      await bus('kitchen').subscribe(Kitchen, {
        ticketCreated: (p) => {
          if (broken) throw new SwitchyardError('FAILED_PRECONDITION', 'not yet');
          got.kitchen.push(p.seq);
        },
      });
      const skipped: string[] = [];
      const audit = bus('audit', { onEvent: (e) => void (e.type === 'skipped' && skipped.push(e.reason)) });
      await audit.subscribe(Kitchen, { ticketCreated: (p) => void got.audit.push(p.seq) });
      await bus('orders').publish(Kitchen, 'ticketCreated', { orderId: 'r', seq: 7 });
      const [dead] = await drain(broker, deadLetterChannel(`${Kitchen.name}.events`), 1);
      broken = false;
      await broker.publish([replayOf(dead!, () => 8)]);
      await eventually(
        () => got.kitchen.length === 1 && skipped.length === 1,
        20_000,
        () => JSON.stringify({ got, skipped }),
      );
      assert.deepEqual(skipped, ['replayed for group kitchen']);
      assert.deepEqual(got, { kitchen: [7], audit: [7] });
    });
  });
}

/** Takes `count` messages off a dead-letter channel with its `dlq` group, acknowledging them. */
async function drain(broker: BrokerAdapter, channel: string, count: number): Promise<Delivery[]> {
  const consumer = broker.consume({
    channel: { name: channel, partitions: 1 },
    group: 'dlq',
    member: `drain-${randomBytes(3).toString('hex')}`,
  });
  const out: Delivery[] = [];
  const timer = setTimeout(() => void consumer.close(), 30_000);
  for await (const delivery of consumer) {
    out.push(delivery);
    await delivery.ack();
    if (out.length === count) break;
  }
  clearTimeout(timer);
  await consumer.close();
  assert.equal(out.length, count, `dead letters on ${channel}`);
  return out;
}
