import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { staticResolver } from '../../discovery/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { createMessaging, type Messaging } from '../bus/index.js';
import { testContract } from '../bus/conformance.js';
import { embeddedBroker } from '../embedded/index.js';
import { directReceiver, directSink } from './index.js';

describe('broker-less delivery over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-direct-'));
  const broker = embeddedBroker({ file: join(dir, 'broker.db') });
  const Kitchen = testContract();
  const handled: number[] = [];
  let receiver: Messaging;
  let sender: Messaging;
  let address: string;
  const server = createServer();

  before(async () => {
    receiver = createMessaging({ broker, service: Kitchen.name, retry: { attempts: 1 } });
    await receiver.handle(
      Kitchen,
      {
        createTicket: (p) => {
          if (p.fail === 'reject') throw new SwitchyardError('FAILED_PRECONDITION', 'kitchen closed');
          handled.push(p.seq);
        },
      },
      { consume: false },
    );
    const receive = directReceiver(receiver, { bodyLimitBytes: 2048 });
    server.on('request', (req, res) => {
      void receive(req, res).then((done) => done || res.writeHead(404).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    sender = createMessaging({ broker, service: 'orders' });
  });
  after(async () => {
    await sender.close();
    await receiver.close();
    server.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sink = () => directSink({ resolver: staticResolver({ services: { [Kitchen.name]: [address] } }) });

  it('hands a command straight to an instance, without the broker', async () => {
    // A group declared up front keeps whatever the broker would get, so an empty peek means nothing went there.
    const channel = { name: `${Kitchen.name}.commands`, partitions: 8, groups: ['probe'] };
    await broker.ensureChannel(channel);
    await sender.send(Kitchen, 'createTicket', { orderId: 'o1', seq: 1 }, { sink: sink() });
    await sender.send(Kitchen, 'createTicket', { orderId: 'o1', seq: 2 }, { sink: sink() });
    assert.deepEqual(handled, [1, 2], 'handled before send resolved');
    assert.deepEqual(await broker.peek(channel.name, 'probe'), [], 'nothing went through the broker');
  });

  it("gives the handler's refusal back to the sender", async () => {
    await assert.rejects(
      sender.send(Kitchen, 'createTicket', { orderId: 'o1', seq: 3, fail: 'reject' }, { sink: sink() }),
      (e: unknown) => SwitchyardError.is(e, 'FAILED_PRECONDITION') && e.message === 'kitchen closed',
    );
  });

  it('fails clearly when no instance is up, and for requests', async () => {
    const nobody = directSink({ resolver: staticResolver({ services: {} }), service: Kitchen.name });
    await assert.rejects(
      sender.send(Kitchen, 'createTicket', { orderId: 'o1', seq: 4 }, { sink: nobody }),
      (e: unknown) => SwitchyardError.is(e, 'UNAVAILABLE'),
    );
    await assert.rejects(
      sender.request(Kitchen, 'quote', { orderId: 'o1' }, { sink: sink(), timeoutMs: 2_000 }),
      (e: unknown) => SwitchyardError.is(e, 'FAILED_PRECONDITION'),
    );
  });

  it('answers bad input with problem+json and runs nothing', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      request(`http://${address}/_switchyard/messages/${Kitchen.name}.commands`, {
        method: 'POST',
        headers: {
          'ce-type': `${Kitchen.name}.createTicket`,
          'ce-id': 'x1',
          'content-type': 'application/json',
          ...headers,
        },
        body,
      });
    const before = handled.length;
    const cases = [
      { body: '{"orderId":', status: 400 },
      { body: '{"orderId":"o","seq":-1}', status: 400 },
      { body: '{}', headers: { 'ce-type': 'nope' }, status: 501 },
      { body: JSON.stringify({ orderId: 'x'.repeat(4096), seq: 1 }), status: 413 },
    ];
    for (const c of cases) {
      const response = await post(c.body, c.headers);
      assert.equal(response.statusCode, c.status, c.body.slice(0, 20));
      assert.equal(response.headers['content-type'], 'application/problem+json');
      await response.body.dump();
    }
    assert.equal(handled.length, before);
  });
});
