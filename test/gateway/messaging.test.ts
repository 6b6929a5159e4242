import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { startDevIssuer, type DevIssuer } from '../../src/gateway/auth/index.js';
import { deletePrefixStreams } from '../../src/messaging/jetstream/purge.js';
import { assertProblem, call, fixtures, spawnProcess, startGateway, stopAll, type Proc } from './support.js';

const nats = 'nats://127.0.0.1:4222';
const prefix = `gwtest_${randomBytes(4).toString('hex')}`;

const operationKeys = `${prefix}:op:`;

/** Removes what this run made on the shared servers: NATS streams and lease bucket, Redis statuses. */
async function purge(): Promise<void> {
  await deletePrefixStreams(nats, prefix);
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${operationKeys}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}

describe('gateway HTTP → messaging and events → clients', { timeout: 120_000 }, () => {
  let issuer: DevIssuer;
  let payments: Proc;
  let gw: Awaited<ReturnType<typeof startGateway>>;
  /** A second gateway sharing the first one's operation statuses through Redis. */
  let gw2: Awaited<ReturnType<typeof startGateway>>;
  const as = async (subject: string, roles: string[] = []) => ({
    authorization: `Bearer ${await issuer.mint({ subject, roles })}`,
  });

  before(async () => {
    issuer = await startDevIssuer();
    payments = await spawnProcess([join(fixtures, 'payments.ts')], {
      env: { BROKER: nats, PREFIX: prefix },
      ready: /payments ready/,
    });
    const config = (instance: string) => ({
      contracts: [{ module: join(fixtures, 'contracts.ts'), only: ['gw-payments'] }],
      discovery: { static: {} },
      auth: { jwt: issuer.jwtConfig() },
      messaging: {
        broker: nats,
        prefix,
        instance,
        operationSeconds: 60,
        operations: { store: 'redis', redis: { url: 'redis://127.0.0.1:6379', prefix: operationKeys } },
      },
      policies: { auth: true },
      routes: [
        {
          name: 'authorize',
          match: { path: '/v1/payments', methods: ['POST'] },
          command: { contract: 'gw-payments@1', command: 'authorizePayment', maxWaitSeconds: 10 },
        },
        {
          name: 'cancel',
          match: { path: '/v1/payments/cancel', methods: ['POST'] },
          command: { contract: 'gw-payments@1', command: 'cancelPayment' },
        },
        {
          name: 'payment-events',
          match: { path: '/v1/streams/payments', methods: ['GET'] },
          events: { contract: 'gw-payments@1', owner: { field: 'consumerId' }, allRoles: ['support'] },
        },
      ],
    });
    gw = await startGateway(config('gw-test'));
    gw2 = await startGateway(config('gw-test-2'));
  });
  after(async () => {
    await gw?.close();
    await gw2?.close();
    await issuer?.close();
    await stopAll();
    await purge();
  });

  /** Polls an operation-status resource until it is no longer pending. */
  const settled = async (url: string, headers: Record<string, string>) => {
    let status;
    for (let i = 0; i < 100; i++) {
      status = (await call(url, { headers })).json();
      if (status.status !== 'pending') break;
      await sleep(50);
    }
    return status;
  };

  const payment = (id: string, extra: Record<string, unknown> = {}) => ({
    paymentId: id,
    consumerId: 'c-1',
    amountCents: 1200,
    ...extra,
  });

  it('answers a command with 202 and an operation-status resource that later holds the reply', async () => {
    const headers = await as('c-1');
    const accepted = await call(`${gw.url}/v1/payments`, { method: 'POST', body: payment('p-1'), headers });
    assert.equal(accepted.status, 202, accepted.text);
    const location = String(accepted.headers.location);
    assert.match(location, /^\/operations\/[0-9a-f-]{36}$/);
    assert.equal(accepted.json().status, 'pending');
    const status = await settled(`${gw.url}${location}`, headers);
    assert.equal(status.status, 'succeeded');
    assert.deepEqual(status.result, { paymentId: 'p-1', approved: true });
    assertProblem(await call(`${gw.url}${location}`, { headers: await as('c-2') }), 404, 'NOT_FOUND');
  });

  it('shares operation statuses between gateways through Redis', async () => {
    const headers = await as('c-1');
    const accepted = await call(`${gw.url}/v1/payments`, {
      method: 'POST',
      body: payment('p-shared', { delayMs: 300 }),
      headers,
    });
    assert.equal(accepted.status, 202, accepted.text);
    const location = String(accepted.headers.location);
    // The other gateway knows it at once, though only the accepting one gets the reply.
    const first = await call(`${gw2.url}${location}`, { headers });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json().status, 'pending');
    assert.equal(first.headers['retry-after'], '1');
    const status = await settled(`${gw2.url}${location}`, headers);
    assert.equal(status.status, 'succeeded');
    assert.deepEqual(status.result, { paymentId: 'p-shared', approved: true });
    assertProblem(await call(`${gw2.url}${location}`, { headers: await as('c-2') }), 404, 'NOT_FOUND');
    assertProblem(
      await call(`${gw2.url}/operations/00000000-0000-4000-8000-000000000000`, { headers }),
      404,
      'NOT_FOUND',
    );
  });

  it('waits for the reply with Prefer: wait=N, and falls back to 202 when it is late', async () => {
    const headers = { ...(await as('c-1')), prefer: 'wait=5' };
    const answered = await call(`${gw.url}/v1/payments`, { method: 'POST', body: payment('p-2'), headers });
    assert.equal(answered.status, 200, answered.text);
    assert.deepEqual(answered.json(), { paymentId: 'p-2', approved: true });
    assert.equal(answered.headers['preference-applied'], 'wait=5');

    const declined = await call(`${gw.url}/v1/payments`, {
      method: 'POST',
      body: payment('p-3', { amountCents: 500_000 }),
      headers,
    });
    assertProblem(declined, 412, 'FAILED_PRECONDITION');

    const late = await call(`${gw.url}/v1/payments`, {
      method: 'POST',
      body: payment('p-4', { delayMs: 2500 }),
      headers: { ...(await as('c-1')), prefer: 'respond-async, wait=1' },
    });
    assert.equal(late.status, 202, late.text);
    assert.ok(late.headers.location);
  });

  it('sends one-way commands and refuses invalid payloads before the broker', async () => {
    const headers = await as('c-1');
    const sent = await call(`${gw.url}/v1/payments/cancel`, {
      method: 'POST',
      body: { paymentId: 'p-1' },
      headers,
    });
    assert.equal(sent.status, 202, sent.text);
    assert.equal(sent.json().status, 'sent');
    await payments.waitFor(/handled cancelPayment p-1/);
    const invalid = assertProblem(
      await call(`${gw.url}/v1/payments`, {
        method: 'POST',
        body: { paymentId: 'p-bad', amountCents: 0 },
        headers,
      }),
      400,
      'INVALID_ARGUMENT',
    );
    assert.ok(invalid.details.violations.length >= 2);
    assertProblem(
      await call(`${gw.url}/v1/payments`, { method: 'POST', body: payment('p-anon') }),
      401,
      'UNAUTHENTICATED',
    );
    await sleep(200);
    assert.equal(payments.lines.filter((l) => /p-bad|p-anon/.test(l)).length, 0);
  });

  it('streams each caller the events it may see, over server-sent events and WebSocket', async () => {
    assertProblem(
      await call(`${gw.url}/v1/streams/payments`, { headers: await as('c-1') }),
      406,
      'NOT_ACCEPTABLE',
    );
    assertProblem(
      await call(`${gw.url}/v1/streams/payments`, { headers: { accept: 'text/event-stream' } }),
      401,
      'UNAUTHENTICATED',
    );

    const sse = await request(`${gw.url}/v1/streams/payments`, {
      headers: { ...(await as('c-1')), accept: 'text/event-stream' },
    });
    assert.equal(sse.statusCode, 200);
    assert.match(String(sse.headers['content-type']), /^text\/event-stream/);
    const received: string[] = [];
    const reading = (async () => {
      for await (const chunk of sse.body) {
        received.push(String(chunk));
        if (received.join('').includes('p-ws-2')) return;
      }
    })();

    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/streams/payments`, {
      headers: await as('agent', ['support']),
    });
    const messages: { event: string; data: { paymentId: string; consumerId: string } }[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((done, fail) => ws.once('open', done).once('error', fail));

    const refused = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/streams/payments`);
    const status = await new Promise<number>((done) =>
      refused.once('unexpected-response', (_req, res) => done(res.statusCode!)),
    );
    assert.equal(status, 401);

    await sleep(300);
    const wait = { ...(await as('c-1')), prefer: 'wait=5' };
    const other = { ...(await as('c-2')), prefer: 'wait=5' };
    assert.equal(
      (
        await call(`${gw.url}/v1/payments`, {
          method: 'POST',
          body: payment('p-ws-1', { consumerId: 'c-2' }),
          headers: other,
        })
      ).status,
      200,
    );
    assert.equal(
      (await call(`${gw.url}/v1/payments`, { method: 'POST', body: payment('p-ws-2'), headers: wait }))
        .status,
      200,
    );

    await Promise.race([reading, sleep(10_000)]);
    const text = received.join('');
    assert.match(
      text,
      /event: paymentAuthorized\ndata: \{"paymentId":"p-ws-2","consumerId":"c-1","amountCents":1200\}/,
    );
    assert.doesNotMatch(text, /p-ws-1/, "another consumer's payment is not shown");
    sse.body.destroy();

    for (let i = 0; i < 100 && messages.length < 2; i++) await sleep(50);
    const ids = messages.map((m) => m.data.paymentId);
    assert.ok(
      ids.includes('p-ws-1') && ids.includes('p-ws-2'),
      `support sees every payment: ${ids.join(', ')}`,
    );
    assert.equal(messages[0]!.event, 'paymentAuthorized');
    ws.close();
  });

  it(
    'gives a client that reconnects with Last-Event-ID what it missed, and a resync when it cannot',
    {
      timeout: 60_000,
    },
    async () => {
      const stream = `${gw.url}/v1/streams/payments`;
      // Support sees every payment: it tells when an event has reached the gateway.
      const watcher = new WebSocket(stream.replace('http', 'ws'), {
        headers: await as('agent', ['support']),
      });
      const watched: string[] = [];
      watcher.on('message', (data) => watched.push(String(data)));
      await new Promise((done, fail) => watcher.once('open', done).once('error', fail));
      const until = async (done: () => boolean, what: string) => {
        for (let i = 0; i < 200 && !done(); i++) await sleep(25);
        assert.ok(done(), what);
      };
      const pay = async (id: string, consumerId = 'c-1') => {
        const headers = { ...(await as(consumerId)), prefer: 'wait=5' };
        const body = payment(id, { consumerId });
        assert.equal((await call(`${gw.url}/v1/payments`, { method: 'POST', body, headers })).status, 200);
        await until(() => watched.some((m) => m.includes(id)), `${id} reached the gateway`);
      };
      /** An SSE connection of c-1, read in the background until `until` holds, then closed. */
      const sse = async (headers: Record<string, string>, want: (text: string) => boolean) => {
        const res = await request(stream, {
          headers: { ...(await as('c-1')), accept: 'text/event-stream', ...headers },
        });
        let text = '';
        const reading = (async () => {
          for await (const chunk of res.body) {
            text += String(chunk);
            if (want(text)) break;
          }
        })();
        return {
          text: () => text,
          async done() {
            await until(() => want(text), `the stream got what it waited for:\n${text}`);
            await reading;
          },
        };
      };

      const live = await sse({}, (t) => t.includes('p-last-1'));
      await pay('p-last-1');
      await live.done();
      assert.match(live.text(), /^retry: \d+$/m, 'the client is told how soon to reconnect');
      const lastId = /id: ([^\n]+)\nevent: paymentAuthorized\ndata: [^\n]*p-last-1/.exec(live.text())?.[1];
      assert.ok(lastId, 'the event carries its id');

      // While the client is away: two of its payments and someone else's.
      await pay('p-last-2');
      await pay('p-last-other', 'c-2');
      await pay('p-last-3');
      const again = await sse({ 'last-event-id': lastId }, (t) => t.includes('p-last-3'));
      await again.done();
      const resumed = again.text();
      const order = ['p-last-1', 'p-last-2', 'p-last-3'].map((id) => resumed.indexOf(id));
      assert.deepEqual(
        order.map((i) => i >= 0),
        [false, true, true],
        resumed,
      );
      assert.ok(order[1]! < order[2]!, 'missed events come in order');
      assert.doesNotMatch(resumed, /p-last-other|resync/);

      const lost = await sse({ 'last-event-id': 'nothing-kept' }, (t) => t.includes('resync'));
      await lost.done();
      assert.match(lost.text(), /event: resync\ndata: \{"reason":"last-event-id-unknown"\}/);

      // The same over WebSocket, with the id as a query parameter.
      const ws = new WebSocket(`${stream.replace('http', 'ws')}?lastEventId=${encodeURIComponent(lastId)}`, {
        headers: await as('c-1'),
      });
      const got: string[] = [];
      ws.on('message', (data) => got.push(String(data)));
      await new Promise((done, fail) => ws.once('open', done).once('error', fail));
      await until(() => got.some((m) => m.includes('p-last-3')), 'the WebSocket got what it missed');
      assert.deepEqual(
        got.map((m) => (JSON.parse(m) as { data: { paymentId: string } }).data.paymentId),
        ['p-last-2', 'p-last-3'],
      );
      ws.close();
      watcher.close();
    },
  );
});
