import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { request } from 'undici';
import {
  assertProblem,
  call,
  callsTo,
  fixtureContracts,
  gatewayInFront,
  spawnFixture,
  type Proc,
} from './support.js';

describe('gateway routing', { timeout: 60_000 }, () => {
  let echo: Proc;
  before(async () => {
    echo = await spawnFixture('echo-server');
  });
  const gw = gatewayInFront({
    env: { SERVICES: 'orders1,profiles', INSTANCE: 'b1' },
    config: (backend) => ({
      contracts: [fixtureContracts(['gw-orders@1', 'gw-profiles'])],
      discovery: {
        static: {
          'gw-orders': [{ address: backend, version: '1.2.0' }],
          'gw-profiles': [backend],
        },
      },
      limits: { bodyBytes: 2048, headerCount: 40 },
      cors: { origins: ['https://app.example.com'] },
      routes: [
        {
          name: 'echo',
          match: { path: '/echo/*', methods: ['GET', 'POST'] },
          proxy: { url: `http://${echo.address}`, rewrite: '/inner' },
        },
        {
          name: 'beta',
          match: { path: '/beta/*', headers: { 'x-beta': 'yes' } },
          proxy: { url: `http://${echo.address}` },
        },
        {
          name: 'hosted',
          match: { path: '/hosted', host: ['api.example.com', '*.example.org'] },
          proxy: { url: `http://${echo.address}` },
        },
        {
          name: 'order-alias',
          match: { path: '/v1/o/:orderId', methods: ['GET'] },
          operation: 'gw-orders@1.getOrder',
        },
        { operation: 'gw-profiles@1.getRecommendations', expose: false },
      ],
    }),
  });

  it('routes contract operations under /v<major> to their service', async () => {
    const profile = await call(`${gw.url}/v1/profiles/u-1`);
    assert.equal(profile.status, 200, profile.text);
    assert.deepEqual(profile.json(), { userId: 'u-1', name: 'user u-1', servedBy: 'b1' });
    assert.match(String(profile.headers['x-request-id']), /^[0-9a-f]{32}$/, 'the id of the trace started');

    const created = await call(`${gw.url}/v1/orders`, {
      method: 'POST',
      body: { consumerId: 'c-1', items: [{ sku: 'pizza', qty: 2 }] },
    });
    assert.equal(created.status, 200, created.text);
    const order = created.json();
    assert.equal(order.total, 200);
    const read = await call(`${gw.url}/v1/orders/${order.orderId}`);
    assert.equal(read.json().orderId, order.orderId);
    const alias = await call(`${gw.url}/v1/o/${order.orderId}`);
    assert.equal(alias.status, 200, alias.text);
    assert.equal(alias.json().orderId, order.orderId);
    const listed = await call(`${gw.url}/v1/orders?consumerId=c-1&limit=5`);
    assert.equal(listed.json().orders.length, 1);
  });

  it('answers unknown routes with 404 and wrong methods with 405, as problem+json', async () => {
    assertProblem(await call(`${gw.url}/v9/nothing`), 404, 'NOT_FOUND');
    const wrong = await call(`${gw.url}/v1/orders/o-1`, { method: 'DELETE' });
    assertProblem(wrong, 405, 'UNIMPLEMENTED');
    assert.equal(wrong.headers.allow, 'GET');
    assertProblem(await call(`${gw.url}/v1/profiles/u-1/recommendations`), 404, 'NOT_FOUND');
  });

  it('refuses bad input at the edge, before it reaches the service', async () => {
    const before = callsTo(gw.backend, 'gw-orders@1.createOrder').length;
    const invalid = assertProblem(
      await call(`${gw.url}/v1/orders`, {
        method: 'POST',
        body: { consumerId: '', items: [{ sku: 'x', qty: 0 }] },
      }),
      400,
      'INVALID_ARGUMENT',
    );
    const paths = invalid.details.violations.map((v: { path: string }) => v.path);
    assert.ok(paths.includes('/consumerId') && paths.includes('/items/0/qty'), JSON.stringify(paths));
    assertProblem(
      await call(`${gw.url}/v1/orders`, {
        method: 'POST',
        body: '{"consumerId":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'INVALID_ARGUMENT',
    );
    assertProblem(
      await call(`${gw.url}/v1/orders`, {
        method: 'POST',
        body: 'a,b',
        headers: { 'content-type': 'text/csv' },
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    const big = { consumerId: 'c', items: [{ sku: 'x'.repeat(4000), qty: 1 }] };
    assertProblem(await call(`${gw.url}/v1/orders`, { method: 'POST', body: big }), 413, 'PAYLOAD_TOO_LARGE');
    assertProblem(await call(`${gw.url}/v1/orders?consumerId=c&limit=abc`), 400, 'INVALID_ARGUMENT');
    assert.equal(callsTo(gw.backend, 'gw-orders@1.createOrder').length, before);
    assert.equal(callsTo(gw.backend, 'gw-orders@1.findOrders').length, 1);
  });

  it('proxies configured routes with a prefix rewrite, forwarding headers and dropping forged identity', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const answer = await call(`${gw.url}/echo/a/b?x=1`, {
      headers: {
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        'x-request-id': 'client-req-1',
        'x-identity-subject': 'admin',
        'sy-meta-x-identity-roles': 'admin',
        'x-custom': 'kept',
      },
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers['x-request-id'], 'client-req-1');
    assert.equal(answer.headers['x-echo'], 'yes');
    assert.deepEqual(answer.headers['set-cookie'], ['a=1', 'b=2']);
    const seen = answer.json();
    assert.equal(seen.url, '/inner/a/b?x=1');
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.equal(seen.headers['x-request-id'], 'client-req-1');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-identity-subject'], undefined);
    assert.equal(seen.headers['sy-meta-x-identity-roles'], undefined);
    const [, trace, span] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(seen.headers.traceparent)!;
    assert.equal(trace, traceId, 'the caller trace is continued');
    assert.notEqual(span, '00f067aa0ba902b7', 'in a span of the gateway');

    const fresh = (await call(`${gw.url}/echo/`)).json();
    assert.match(fresh.headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'a trace is started');
    assert.equal(fresh.url, '/inner/');
  });

  it('matches routes by header and host', async () => {
    assertProblem(await call(`${gw.url}/beta/x`), 404, 'NOT_FOUND');
    const beta = await call(`${gw.url}/beta/x`, { headers: { 'x-beta': 'yes' } });
    assert.equal(beta.json().url, '/beta/x');
    assertProblem(await call(`${gw.url}/hosted`), 404, 'NOT_FOUND');
    assert.equal((await call(`${gw.url}/hosted`, { headers: { host: 'API.example.com:8080' } })).status, 200);
    assert.equal((await call(`${gw.url}/hosted`, { headers: { host: 'eu.example.org' } })).status, 200);
    assertProblem(await call(`${gw.url}/hosted`, { headers: { host: 'example.org' } }), 404, 'NOT_FOUND');
  });

  it('answers CORS preflights and marks answers for allowed origins', async () => {
    const origin = 'https://app.example.com';
    const preflight = await call(`${gw.url}/v1/orders`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], origin);
    assert.match(String(preflight.headers['access-control-allow-methods']), /POST/);
    const refused = await call(`${gw.url}/v1/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assertProblem(refused, 403, 'PERMISSION_DENIED');
    const answer = await call(`${gw.url}/v1/profiles/u-2`, { headers: { origin } });
    assert.equal(answer.headers['access-control-allow-origin'], origin);
    assert.match(String(answer.headers['access-control-expose-headers']), /x-request-id/);
    assert.equal((await call(`${gw.url}/v1/profiles/u-2`)).headers['access-control-allow-origin'], undefined);
  });

  it('refuses too many or too large headers with 431 problem+json', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 50; i++) many[`x-h${i}`] = 'v';
    const problem = assertProblem(
      await call(`${gw.url}/v1/profiles/u-1`, { headers: many }),
      431,
      'PAYLOAD_TOO_LARGE',
    );
    assert.equal(problem.details.limit, 'headers');
    const huge = await call(`${gw.url}/v1/profiles/u-1`, { headers: { 'x-big': 'x'.repeat(20_000) } });
    assertProblem(huge, 431, 'PAYLOAD_TOO_LARGE');
  });

  it('answers every kind of bad request with a 4xx problem and keeps serving', async () => {
    const json = { 'content-type': 'application/json' };
    const cases: [string, Parameters<typeof call>[1]][] = [
      ['/v1/orders/%', {}],
      ['/v1/orders/%E0%A4%A', {}],
      ['//v1//orders', {}],
      [`/v1/orders/${'x'.repeat(6000)}`, {}],
      ['/v1/orders?consumerId=%ZZ', {}],
      ['/v1/orders?consumerId=a&consumerId=b', {}],
      ['/v1/orders', { method: 'POST', body: '[1,2]', headers: json }],
      ['/v1/orders', { method: 'POST', body: 'null', headers: json }],
      ['/v1/orders', { method: 'POST', body: '42', headers: json }],
      ['/v1/orders', { method: 'POST', body: '\u0000\u00ff', headers: json }],
      ['/v1/orders', { method: 'POST', body: 'garbage', headers: { 'content-type': 'application/msgpack' } }],
      [
        '/v1/orders',
        { method: 'POST', body: '{}', headers: { 'content-type': 'application/json; charset=latin1' } },
      ],
      [
        '/v1/orders',
        { method: 'POST', body: JSON.stringify({ consumerId: 'c', items: 'none' }), headers: json },
      ],
      ['/v1/orders', { method: 'PATCH', body: '{}', headers: json }],
    ];
    for (const [path, options] of cases) {
      const answer = await call(`${gw.url}${path}`, options);
      assert.ok(answer.status >= 400 && answer.status < 500, `${path}: ${answer.status} ${answer.text}`);
      assert.equal(answer.headers['content-type'], 'application/problem+json', path);
    }
    assert.equal((await call(`${gw.url}/v1/profiles/u-1`)).status, 200, 'still serving');
  });

  it('passes server-sent events and large bodies on as they arrive', async () => {
    const started = performance.now();
    const events = await request(`${gw.url}/echo/events/5`);
    assert.equal(events.statusCode, 200);
    assert.equal(events.headers['content-type'], 'text/event-stream');
    assert.match(String(events.headers['x-request-id']), /^[0-9a-f]{32}$/);
    const arrivals: number[] = [];
    let text = '';
    for await (const chunk of events.body) {
      arrivals.push(performance.now() - started);
      text += String(chunk);
    }
    assert.equal(text.match(/^data: /gm)?.length, 5, text);
    // The first event reaches the client long before the upstream's last (500 ms after its first).
    assert.ok(arrivals[0]! < arrivals.at(-1)! - 250, arrivals.join(', '));

    const size = 3_000_000;
    const big = await request(`${gw.url}/echo/big/${size}`);
    assert.equal(big.statusCode, 200);
    assert.equal(big.headers['content-length'], String(size));
    const body = Buffer.from(await big.body.arrayBuffer());
    assert.equal(body.length, size);
    for (const i of [0, 250, 251, 1_234_567, size - 1]) assert.equal(body[i], i % 251, `byte ${i}`);
  });

  it('stops the upstream when the client leaves a stream', async () => {
    const controller = new AbortController();
    const events = await request(`${gw.url}/echo/events/50`, { signal: controller.signal });
    const iterator = events.body[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    await iterator.next().catch(() => undefined);
    // The gateway closed its upstream request: the backend stopped sending long before its 50th event.
    const cancelled = await echo.waitFor(/^events cancelled after \d+$/, 3_000);
    assert.ok(Number(cancelled.split(' ').at(-1)) < 10, cancelled);
    assert.equal((await call(`${gw.url}/v1/profiles/u-1`)).status, 200, 'still serving');
  });
});
