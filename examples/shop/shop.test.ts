import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { SwitchyardError } from 'switchyard/errors';
import { createHost, startService } from 'switchyard/runtime';
import { OrdersContract } from './contracts/orders.js';
import consumers from './services/consumers/service.js';
import orders from './services/orders/service.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const item = { menuItemId: 'naan', quantity: 1, unitPrice: 300 };

describe('shop, in-process', () => {
  async function shop() {
    const host = createHost({ name: 'shop-test' });
    await startService(host, consumers);
    await startService(host, orders);
    return host.client(OrdersContract);
  }

  it('approves an order the consumers service validates', async () => {
    const client = await shop();
    const order = await client.createOrder({ consumerId: 'c-alice', restaurantId: 'r', items: [item] });
    assert.equal(order.state, 'APPROVED');
    assert.equal(order.total.amount, 300);
    assert.deepEqual(await client.getOrder({ orderId: order.orderId }), order);
  });

  it('rejects an order over the consumer limit with the reason', async () => {
    const client = await shop();
    const order = await client.createOrder({
      consumerId: 'c-bob',
      restaurantId: 'r',
      items: [{ ...item, quantity: 10 }],
    });
    assert.equal(order.state, 'REJECTED');
    assert.match(order.rejectionReason ?? '', /limit/);
  });

  it('passes NOT_FOUND from the consumers service through orders', async () => {
    const client = await shop();
    await assert.rejects(
      client.createOrder({ consumerId: 'c-nobody', restaurantId: 'r', items: [item] }),
      (e: unknown) => SwitchyardError.is(e, 'NOT_FOUND'),
    );
  });
});

describe('switchyard up (the main job)', () => {
  const cli = (args: string[]) =>
    spawn(process.execPath, ['bin/switchyard.js', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });

  /** The shop's manifest on free ports, so a running system or another test run does not collide. */
  async function shopOnFreePorts(): Promise<{
    file: string;
    hubPort: number;
    dnsPort: number;
    cleanup(): void;
  }> {
    const { mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const [hubPort, dnsPort] = await Promise.all([freePort(), freePort()]);
    const dir = join(root, '.switchyard', 'tmp', `shop-${process.pid}-${hubPort}`);
    mkdirSync(dir, { recursive: true });
    const shop = join(root, 'examples', 'shop');
    const file = join(dir, 'shop.yaml');
    writeFileSync(
      file,
      [
        `name: shop-test-${hubPort}`,
        'services:',
        `  consumers: { entry: ${join(shop, 'services/consumers/service.ts')} }`,
        `  orders: { entry: ${join(shop, 'services/orders/service.ts')} }`,
        `hub: { port: ${hubPort}, dnsPort: ${dnsPort} }`,
        `traffic: ${join(shop, 'traffic.ts')}`,
      ].join('\n'),
    );
    return { file, hubPort, dnsPort, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }

  it('runs the shop as separate processes found through the hub, once, and exits 0', async () => {
    const shop = await shopOnFreePorts();
    try {
      const child = cli(['up', shop.file, '--once']);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const [code] = await once(child, 'exit');
      assert.equal(code, 0, out);
      assert.match(out, /is up: 3 processes/);
      assert.match(out, /for c-alice: APPROVED/);
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
      const order = ['orders-1: exit', 'consumers-1: exit', 'hub: exit'].map((line) => out.indexOf(line));
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

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('shop contracts', () => {
  for (const name of ['orders', 'consumers'])
    it(`${name}: the working contract matches its released history (switchyard contract check)`, async () => {
      const child = spawn(
        process.execPath,
        ['bin/switchyard.js', 'contract', 'check', `examples/shop/contracts/${name}.ts`],
        {
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const [code] = await once(child, 'exit');
      assert.equal(code, 0, out);
    });
});
