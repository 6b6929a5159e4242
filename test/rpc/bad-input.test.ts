import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { killAll, spawnService, type ServiceChild } from './processes.js';

const json = { 'content-type': 'application/json' };
const order = { consumerId: 'c-1', restaurantId: 'r-1', items: [{ menuItemId: 'm', quantity: 1 }] };

async function problem(response: Response, status: number, code: string) {
  assert.equal(response.status, status);
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  const body = (await response.json()) as { code: string; status: number; details?: Record<string, unknown> };
  assert.equal(body.code, code);
  assert.equal(body.status, status);
  return body;
}

describe('bad input over real HTTP to a service process', { timeout: 60_000 }, () => {
  let orders: ServiceChild;
  let base: string;

  before(async () => {
    orders = await spawnService('orders', { BODY_LIMIT: '1024' });
    base = `http://${orders.address}`;
  });
  after(() => killAll());

  it('answers an unknown path with 404 NOT_FOUND', async () => {
    const body = await problem(await fetch(`${base}/v1/nothing`), 404, 'NOT_FOUND');
    assert.equal((body as { detail?: string }).detail, 'no operation at GET /v1/nothing');
    await problem(await fetch(`${base}/v7/orders/o-1`), 404, 'NOT_FOUND');
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const response = await fetch(`${base}/v1/orders/o-1`, { method: 'PUT', headers: json, body: '{}' });
    assert.equal(response.headers.get('allow'), 'DELETE, GET');
    await problem(response, 405, 'UNIMPLEMENTED');
  });

  it('answers malformed JSON with 400 INVALID_ARGUMENT', async () => {
    await problem(
      await fetch(`${base}/v1/orders`, { method: 'POST', headers: json, body: '{"consumerId":' }),
      400,
      'INVALID_ARGUMENT',
    );
  });

  it('answers an unsupported content type with 415', async () => {
    const headers = { 'content-type': 'text/csv' };
    await problem(
      await fetch(`${base}/v1/orders`, { method: 'POST', headers, body: 'a,b' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('answers a body over the limit with 413, declared or streamed', async () => {
    const big = JSON.stringify({ ...order, note: 'x'.repeat(4_096) });
    await problem(
      await fetch(`${base}/v1/orders`, { method: 'POST', headers: json, body: big }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    // No Content-Length: the limit is found while reading. Finite, so the client stops on its own.
    let sent = 0;
    const chunks = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ === 16) controller.close();
        else controller.enqueue(new TextEncoder().encode('x'.repeat(512)));
      },
    });
    const streamed = await fetch(`${base}/v1/orders`, {
      method: 'POST',
      headers: json,
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    await problem(streamed, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers a schema violation with 400 and the violations', async () => {
    const bad = { ...order, items: [{ menuItemId: 'm', quantity: 0 }] };
    const body = await problem(
      await fetch(`${base}/v1/orders`, { method: 'POST', headers: json, body: JSON.stringify(bad) }),
      400,
      'INVALID_ARGUMENT',
    );
    assert.deepEqual(body.details?.violations, [
      { path: '/items/0/quantity', rule: 'minimum', message: 'Expected integer to be greater or equal to 1' },
    ]);
  });

  it('stays up and keeps answering', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const created = await fetch(`${base}/v1/orders`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(order),
    });
    assert.equal(created.status, 200);
    assert.equal(((await created.json()) as { orderId: string }).orderId, 'o-1');
    assert.equal(orders.child.exitCode, null);
  });
});
