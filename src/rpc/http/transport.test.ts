import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { contract, operation, Type } from '../../contract/index.js';
import { SwitchyardError, type Code } from '../../errors/index.js';
import { Context, createHost, type Transport } from '../../runtime/index.js';
import { resilienceInterceptor } from '../../resilience/index.js';
import { staticEndpoint, type Endpoint, type Outcome } from '../endpoint.js';
import { httpTransport } from './transport.js';

const Echo = contract({
  name: 'echo',
  version: '1.0.0',
  operations: {
    say: operation({
      input: Type.Object({ id: Type.String(), text: Type.String() }),
      output: Type.Object({ text: Type.String() }),
      http: { method: 'PUT', path: '/say/:id' },
      idempotent: true,
    }),
  },
});

interface Answer {
  status: number;
  type?: string;
  body: string;
}

const servers: Server[] = [];
after(() => Promise.all(servers.map((s) => (s.closeAllConnections(), new Promise((r) => s.close(r))))));

/** A plain node:http server that records what it was sent and answers as told. */
async function fakeServer(answer: Answer) {
  const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    seen.push({ method: req.method, url: req.url, headers: req.headers, body });
    res.writeHead(answer.status, answer.type ? { 'content-type': answer.type } : {});
    res.end(answer.body);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function client(address: string, outcomes: Outcome[] = []) {
  const endpoints = {
    pick: () => ({ address }),
    done: (_: Endpoint, outcome: Outcome) => void outcomes.push(outcome),
  };
  const transport: Transport = httpTransport({ endpoints });
  const host = createHost({ transports: () => transport });
  return { echo: host.client(Echo), transport, close: () => host.close() };
}

async function failure(promise: Promise<unknown>, code: Code): Promise<SwitchyardError> {
  const error = await promise.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(SwitchyardError.is(error, code), String(error));
  return error;
}

describe('HTTP transport', () => {
  it('sends the operation’s mapping and the context as headers, and reports the outcome', async () => {
    const server = await fakeServer({ status: 200, type: 'application/json', body: '{"text":"hi"}' });
    const outcomes: Outcome[] = [];
    const { echo, close } = client(server.address, outcomes);
    const parent = new Context({ correlationId: 'corr' });
    assert.deepEqual(
      await echo.say({ id: 'a b', text: 'hi' }, { parent, timeoutMs: 5_000, metadata: { tenant: 't1' } }),
      { text: 'hi' },
    );
    const [request] = server.seen;
    assert.equal(request?.method, 'PUT');
    assert.equal(request?.url, '/v1/say/a%20b');
    assert.deepEqual(JSON.parse(request!.body), { text: 'hi' });
    const h = request!.headers;
    assert.equal(h['content-type'], 'application/json');
    assert.equal(h['ce-correlationid'], 'corr');
    assert.equal(h['ce-causationid'], parent.id);
    assert.match(String(h['ce-id']), /^[0-9a-f-]{36}$/);
    assert.match(String(h.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const timeout = Number(h['ce-timeout']);
    assert.ok(timeout > 4_000 && timeout <= 5_000, String(timeout));
    assert.equal(h['sy-meta-tenant'], 't1');
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0]?.ok, true);
    await close();
  });

  it('reads problem details back into the error, and blames the caller for 4xx', async () => {
    const problem = { code: 'INVALID_ARGUMENT', detail: 'bad', details: { violations: [] }, status: 400 };
    const server = await fakeServer({
      status: 400,
      type: 'application/problem+json',
      body: JSON.stringify(problem),
    });
    const outcomes: Outcome[] = [];
    const { echo, close } = client(server.address, outcomes);
    const error = await failure(echo.say({ id: 'a', text: 'x' }), 'INVALID_ARGUMENT');
    assert.equal(error.message, 'bad');
    assert.deepEqual(
      outcomes.map((o) => [o.ok, o.callerFault]),
      [[false, true]],
    );
    await close();
  });

  it('reads a foreign error page by its status and an unreadable answer as UNKNOWN', async () => {
    const gateway = await fakeServer({ status: 502, type: 'text/html', body: '<h1>Bad gateway</h1>' });
    const outcomes: Outcome[] = [];
    const a = client(gateway.address, outcomes);
    await failure(a.echo.say({ id: 'a', text: 'x' }), 'INTERNAL');
    assert.deepEqual(
      outcomes.map((o) => [o.ok, o.callerFault]),
      [[false, false]],
    );
    const html = await fakeServer({ status: 200, type: 'text/html', body: '<p>hi</p>' });
    const b = client(html.address);
    await failure(b.echo.say({ id: 'a', text: 'x' }), 'UNKNOWN');
    const broken = await fakeServer({ status: 200, type: 'application/json', body: '{"text":' });
    const c = client(broken.address);
    await failure(c.echo.say({ id: 'a', text: 'x' }), 'UNKNOWN');
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('says notSent when the connection is refused, and not when it breaks after sending', async () => {
    const closed = createNetServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const free = (closed.address() as AddressInfo).port;
    closed.close();
    const refused = client(`127.0.0.1:${free}`);
    const before = await failure(refused.echo.say({ id: 'a', text: 'x' }), 'UNAVAILABLE');
    assert.equal(before.details.notSent, true);

    const resetting = createNetServer((socket) => socket.on('data', () => socket.resetAndDestroy()));
    resetting.listen(0, '127.0.0.1');
    await once(resetting, 'listening');
    const reset = client(`127.0.0.1:${(resetting.address() as AddressInfo).port}`);
    const during = await failure(reset.echo.say({ id: 'a', text: 'x' }), 'UNAVAILABLE');
    assert.equal(during.details.notSent, undefined);
    resetting.close();
    await Promise.all([refused.close(), reset.close()]);
  });

  it('abandons the request when the deadline passes or the caller cancels', async () => {
    const silent = createServer(() => {});
    servers.push(silent);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { echo, close } = client(`127.0.0.1:${(silent.address() as AddressInfo).port}`);
    await failure(echo.say({ id: 'a', text: 'x' }, { timeoutMs: 50 }), 'DEADLINE_EXCEEDED');
    const controller = new AbortController();
    const call = echo.say({ id: 'a', text: 'x' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await failure(call, 'CANCELLED');
    await close();
  });

  it('abandons the request, closing its connection, when a resilience timeout fires', async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    const silent = createServer(() => {});
    // The abort may come before the request is written: then only the connection shows it.
    silent.on('connection', (socket: Socket) => socket.on('close', () => closed()));
    servers.push(silent);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const transport = httpTransport({
      endpoints: staticEndpoint(`127.0.0.1:${(silent.address() as AddressInfo).port}`),
    });
    const host = createHost({
      transports: () => transport,
      interceptors: [resilienceInterceptor({ default: { timeoutMs: 50 } })],
    });
    await failure(host.client(Echo).say({ id: 'a', text: 'x' }), 'DEADLINE_EXCEEDED');
    await connectionClosed;
    await host.close();
  });

  it('refuses calls after close without sending them', async () => {
    const server = await fakeServer({ status: 200, type: 'application/json', body: '{"text":"x"}' });
    const { echo, transport } = client(server.address);
    await echo.say({ id: 'a', text: 'x' });
    await transport.close?.();
    const error = await failure(echo.say({ id: 'a', text: 'x' }), 'UNAVAILABLE');
    assert.equal(error.details.notSent, true);
    assert.equal(server.seen.length, 1);
  });
});
