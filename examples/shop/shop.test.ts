import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchyardError } from 'switchyard/errors';
import {
  connectBroker,
  createMessaging,
  embeddedBroker,
  type BrokerAdapter,
  type Messaging,
} from 'switchyard/messaging';
import { createHost, startService } from 'switchyard/runtime';
import { openStore, startRelay } from 'switchyard/transactional';
import { KitchenContract } from './contracts/kitchen.js';
import { NotificationsContract } from './contracts/notifications.js';
import { OrdersContract } from './contracts/orders.js';
import accounting from './services/accounting/service.js';
import consumers from './services/consumers/service.js';
import kitchen from './services/kitchen/service.js';
import notifications from './services/notifications/service.js';
import orders from './services/orders/service.js';
import restaurants from './services/restaurants/service.js';
import { cli, entries, relayed, root, services, shopOnFreePorts } from './testing.js';

const item = { menuItemId: 'naan', quantity: 1, unitPrice: 300 };

const dir = mkdtempSync(join(tmpdir(), 'switchyard-shop-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const prefix = `shop-test-${process.pid}-${Date.now()}`;
/** The same system on every engine: the messaging is the only thing that changes. */
const engines: Record<string, () => BrokerAdapter> = {
  embedded: () => embeddedBroker({ file: join(dir, 'broker.db') }),
  rabbitmq: () => connectBroker('amqp://guest:guest@127.0.0.1:5672', { prefix }),
  jetstream: () => connectBroker('nats://127.0.0.1:4222', { prefix: prefix.replaceAll('-', '_') }),
  redis: () => connectBroker('redis://127.0.0.1:6379', { prefix }),
};

for (const [engine, connect] of Object.entries(engines))
  describe(`shop, in-process, messaging on ${engine}`, () => {
    const broker = connect();
    const buses: Messaging[] = [];
    const running: { stop(): Promise<void> }[] = [];
    after(async () => {
      for (const each of running.reverse()) await each.stop();
      await Promise.all(buses.map((bus) => bus.close()));
      for (const channel of [
        'orders.events',
        'restaurants.events',
        'accounting.commands',
        'accounting.events',
      ])
        for (const name of [channel, `${channel}.dlq`])
          await broker.deleteChannel(name).catch(() => undefined);
      await broker.close();
    });

    /**
     * Every service in one host, each with its own messaging and its own SQLite database; the outbox
     * relays of orders and accounting run beside them.
     */
    const system = (async () => {
      const host = createHost({ name: 'shop-test' });
      const database = (name: string) => `sqlite:${join(dir, engine, `${name}.db`)}`;
      for (const service of [kitchen, restaurants, consumers, accounting, notifications, orders]) {
        const name = service.contract.name;
        const messaging = createMessaging({ broker, service: name });
        buses.push(messaging);
        running.push(await startService(host, service, { database: database(name) }, { messaging }));
      }
      for (const name of ['orders', 'accounting']) {
        const store = await openStore(database(name));
        const relay = await startRelay(store, broker);
        running.push({ stop: async () => (await relay.stop(), await store.close()) });
      }
      return host;
    })();

    async function settled(orderId: string) {
      const client = (await system).client(OrdersContract);
      for (;;) {
        const order = await client.getOrder({ orderId });
        if (order.status !== 'PENDING') return order;
        await sleep(20);
      }
    }

    it('answers PENDING, then approves once accounting authorized the card', async () => {
      const host = await system;
      const order = await host
        .client(OrdersContract)
        .createOrder({ consumerId: 'c-alice', restaurantId: 'r-ajanta', lineItems: [item] });
      assert.equal(order.status, 'PENDING');
      assert.equal(order.total.amount, 300);
      assert.equal((await settled(order.orderId)).status, 'APPROVED');
      // The kitchen made a ticket from OrderCreated, naming the dish from its replica of the menus.
      const ticket = await eventuallyValue(() =>
        host.client(KitchenContract).getTicket({ orderId: order.orderId }),
      );
      assert.deepEqual(ticket.lines, [{ menuItemId: 'naan', name: 'Naan', quantity: 1 }]);
      const { notifications } = await eventuallyValue(async () => {
        const list = await host.client(NotificationsContract).listNotifications({ consumerId: 'c-alice' });
        if (list.notifications.length === 0) throw new Error('not yet');
        return list;
      });
      assert.equal(notifications[0]!.text, 'Your order is confirmed');
    });

    it('rejects asynchronously when the card is refused', async () => {
      const order = await (
        await system
      )
        .client(OrdersContract)
        .createOrder({ consumerId: 'c-dave', restaurantId: 'r-ajanta', lineItems: [item] });
      assert.equal(order.status, 'PENDING');
      const final = await settled(order.orderId);
      assert.equal(final.status, 'REJECTED');
      assert.equal(final.rejectionReason, 'card expired');
    });

    it('rejects an order over the consumer limit at once, with the reason', async () => {
      const order = await (await system).client(OrdersContract).createOrder({
        consumerId: 'c-bob',
        restaurantId: 'r-ajanta',
        lineItems: [{ ...item, quantity: 10 }],
      });
      assert.equal(order.status, 'REJECTED');
      assert.match(order.rejectionReason ?? '', /limit/);
    });

    it('passes NOT_FOUND from the consumers service through orders', async () => {
      await assert.rejects(
        (await system)
          .client(OrdersContract)
          .createOrder({ consumerId: 'c-nobody', restaurantId: 'r', lineItems: [item] }),
        (e: unknown) => SwitchyardError.is(e, 'NOT_FOUND'),
      );
    });
  });

/** Retries `get` until it stops throwing (an effect of an event arrives a moment later). */
async function eventuallyValue<T>(get: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await get();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(20);
    }
  }
}

describe('switchyard up (the main job)', () => {
  it('runs the shop as separate processes found through the hub, once, and exits 0', async () => {
    const shop = await shopOnFreePorts();
    try {
      const child = cli(['up', shop.file, '--once']);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const [code] = await once(child, 'exit');
      assert.equal(code, 0, out);
      assert.match(out, /is up: 11 processes/);
      assert.match(out, /for c-alice: APPROVED/);
      assert.match(out, /for c-dave: REJECTED \(card expired\)/);
      assert.match(out, /for c-bob: REJECTED/);
      assert.match(out, /c-nobody: NOT_FOUND/);
      assert.match(out, /stopped/);
    } finally {
      shop.cleanup();
    }
  });

  it('on SIGINT stops every process in reverse order, exits 0 and leaves none behind', async () => {
    const shop = await shopOnFreePorts();
    try {
      const child = cli(['up', shop.file]);
      let out = '';
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await new Promise<void>((ready) =>
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('c-nobody')) ready();
        }),
      );
      // While it runs: the hub answers DNS for every service, and `switchyard call` reaches them.
      const { execFileSync } = await import('node:child_process');
      const srv = execFileSync('dig', [
        '@127.0.0.1',
        '-p',
        `${shop.dnsPort}`,
        'consumers.service.switchyard',
        'SRV',
        '+short',
      ]);
      assert.match(srv.toString(), /^1 1 \d+ /);
      const call = spawn(
        process.execPath,
        [
          'bin/switchyard.js',
          'call',
          'consumers.getConsumer',
          '{"consumerId":"c-alice"}',
          '--hub',
          `http://127.0.0.1:${shop.hubPort}`,
        ],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let answer = '';
      call.stdout.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      const [callCode] = await once(call, 'exit');
      assert.equal(callCode, 0);
      assert.equal((JSON.parse(answer) as { name: string }).name, 'Alice');

      child.kill('SIGINT');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0, out);
      const started = [
        'hub',
        ...entries.map((name) => `${name}-1`),
        ...relayed.map((name) => `${name}-relay`),
        'gateway',
      ];
      const order = started.reverse().map((name) => out.indexOf(`${name}: exit`));
      assert.ok(
        order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1]!)),
        out,
      );
      const left = execFileSync('ps', ['-eo', 'args']).toString();
      assert.doesNotMatch(left, new RegExp(shop.file.replaceAll('.', '\\.')));
    } finally {
      shop.cleanup();
    }
  });

  it('rejects a manifest with an unknown key, naming file and line', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-manifest-'));
    try {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, 'name: x\nservices:\n  a:\n    entry: a.ts\n    replicaz: 2\n');
      const child = cli(['up', file, '--once']);
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const [code] = await once(child, 'exit');
      assert.equal(code, 1);
      assert.match(err, /bad\.yaml:5: unknown key "replicaz"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shop contracts', () => {
  const checks = services.flatMap((name) =>
    name === 'orders'
      ? [
          ['orders', 'orders@1'],
          ['orders', 'orders@2'],
        ]
      : [[name, name]],
  );
  for (const [module, contract] of checks)
    it(`${contract}: the working contract matches its released history (switchyard contract check)`, async () => {
      const child = cli([
        'contract',
        'check',
        `examples/shop/contracts/${module}.ts`,
        '--contract',
        contract!,
      ]);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const [code] = await once(child, 'exit');
      assert.equal(code, 0, out);
    });
});
