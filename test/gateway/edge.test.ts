import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, fixtureContracts, gatewayInFront } from './support.js';

/** Everything the server sends on a raw connection until it closes it. */
async function rawExchange(address: string, send: (socket: Socket) => Promise<void>): Promise<string> {
  const [host, port] = address.split(':');
  const socket = connect(Number(port), host);
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  const closed = once(socket, 'close');
  await send(socket);
  await closed;
  return received;
}

describe('gateway edge protections and telemetry', { timeout: 60_000 }, () => {
  const gw = gatewayInFront({
    env: { SERVICES: 'profiles,orders1', INSTANCE: 'e1' },
    config: (backend) => ({
      contracts: [fixtureContracts(['gw-profiles', 'gw-orders@1'])],
      discovery: { static: { 'gw-profiles': [backend], 'gw-orders': [backend] } },
      timeouts: { headersMs: 300, requestMs: 700, idleMs: 300 },
    }),
  });
  const address = () => gw.url.slice('http://'.length);

  it('answers a client too slow to send its headers with 408 problem+json and closes', async () => {
    const started = Date.now();
    const answer = await rawExchange(address(), async (socket) => {
      socket.write('GET /v1/profiles/u-1 HTTP/1.1\r\nHost: x\r\n');
    });
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /content-type: application\/problem\+json/);
    assert.match(answer, /"code":"DEADLINE_EXCEEDED"/);
    assert.ok(Date.now() - started < 5000);
  });

  it('answers a client too slow to send its body with 408, and never calls the service', async () => {
    const before = gw.backend.lines.length;
    const answer = await rawExchange(address(), async (socket) => {
      socket.write(
        'POST /v1/orders HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"consu',
      );
    });
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /"code":"DEADLINE_EXCEEDED"/);
    assert.equal(gw.backend.lines.slice(before).filter((l) => l.startsWith('call ')).length, 0);
  });

  it('closes kept-alive connections left idle', async () => {
    const answer = await rawExchange(address(), async (socket) => {
      socket.write('GET /v1/profiles/u-1 HTTP/1.1\r\nHost: x\r\n\r\n');
      await sleep(1000);
    });
    assert.match(answer, /^HTTP\/1\.1 200 /);
  });

  it('answers malformed HTTP with 400 problem+json', async () => {
    const answer = await rawExchange(address(), async (socket) => {
      socket.write('GET /v1 HTTP/1.1\r\nHost x\r\n\r\n');
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /"code":"INVALID_ARGUMENT"/);
  });

  it('answers as HTTP/1.1 a request that asks to upgrade to h2c, and honours Expect: 100-continue', async () => {
    const h2c = await rawExchange(address(), async (socket) => {
      socket.write(
        'GET /v1/profiles/u-3 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n' +
          'Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
      );
    });
    assert.match(h2c, /^HTTP\/1\.1 200 /);
    assert.match(h2c, /"userId":"u-3"/);
    const body = JSON.stringify({ consumerId: 'c-9', items: [{ sku: 'tea', qty: 1 }] });
    const continued = await rawExchange(address(), async (socket) => {
      socket.write(
        'POST /v1/orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n' +
          `Expect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      await sleep(100);
      socket.write(body);
    });
    assert.match(continued, /^HTTP\/1\.1 100 Continue/);
    assert.match(continued, /HTTP\/1\.1 200 /);
    assert.match(continued, /"consumerId":"c-9"/);
  });

  it('exposes health, readiness and Prometheus metrics per route, deprecated usage per client included', async () => {
    assert.equal((await call(`${gw.url}/v1/profiles/u-9`)).status, 200);
    assert.equal((await call(`${gw.url}/v1/orders?consumerId=c`)).status, 200);
    assert.equal((await call(`${gw.url}/nowhere`)).status, 404);
    assert.deepEqual((await call(`${gw.url}/healthz`)).json(), { status: 'ok' });
    assert.equal((await call(`${gw.url}/readyz`)).json().status, 'ready');
    const text = (await call(`${gw.url}/metrics`)).text;
    assert.match(
      text,
      /switchyard_gateway_requests_total\{route="gw-profiles@1\.getProfile",method="GET",status="200",process="gateway"\} \d+/,
    );
    assert.match(text, /switchyard_gateway_requests_total\{route="unmatched",method="GET",status="404"/);
    assert.match(
      text,
      /switchyard_gateway_request_duration_seconds_bucket\{le="0\.005",(process="gateway",)?route="gw-profiles@1\.getProfile"/,
    );
    assert.match(
      text,
      /switchyard_gateway_deprecated_requests_total\{route="gw-orders@1\.findOrders",version="gw-orders@1",client="anonymous"/,
    );
  });
});
