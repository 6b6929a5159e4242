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

  it('runs the shop once and exits 0', async () => {
    const child = cli(['up', 'examples/shop/switchyard.yaml', '--once']);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, out);
    assert.match(out, /orders v1\.0\.0/);
    assert.match(out, /for c-alice: APPROVED/);
    assert.match(out, /for c-bob: REJECTED/);
    assert.match(out, /c-nobody: NOT_FOUND/);
  });

  it('stops gracefully on SIGINT with exit code 0', async () => {
    const child = cli(['up', 'examples/shop/switchyard.yaml']);
    let out = '';
    await new Promise<void>((ready) =>
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('c-nobody')) ready();
      }),
    );
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, out);
    assert.match(out, /stopped/);
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
