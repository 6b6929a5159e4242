import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Client } from 'undici';
import { msgpack } from '../../codec/index.js';
import { contract, operation, Type } from '../../contract/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { childTrace, traceIdOf } from '../../envelope/index.js';
import { createHost, type Context } from '../../runtime/index.js';
import { createHttpServer, type HttpServer } from './server.js';

async function aborted(ctx: Context): Promise<AbortSignal> {
  const signal = ctx.signal;
  if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve));
  return signal;
}

const op = (path: string) =>
  operation({
    input: Type.Object({ n: Type.Integer() }),
    output: Type.Object({ n: Type.Integer(), v: Type.Integer() }),
    http: { method: 'POST', path },
  });
const CalcV1 = contract({ name: 'calc', version: '1.4.0', operations: { double: op('/double') } });
const CalcV2 = contract({
  name: 'calc',
  version: '2.0.0',
  operations: {
    double: op('/double'),
    wait: operation({
      input: Type.Object({}),
      output: Type.Object({}),
      http: { method: 'POST', path: '/wait' },
    }),
    seen: operation({
      input: Type.Object({}),
      output: Type.Object({ trace: Type.String(), tenant: Type.String() }),
    }),
  },
});

describe('HTTP server', () => {
  const release: (() => void)[] = [];
  const waiting: (() => void)[] = [];
  const contexts: Context[] = [];
  let ready = false;
  const errors: SwitchyardError[] = [];
  let server: HttpServer;
  let client: Client;

  before(async () => {
    const host = createHost();
    host.implement(CalcV1, { double: ({ n }) => ({ n: n * 2, v: 1 }) });
    host.implement(CalcV2, {
      double: ({ n }) => ({ n: n * 2, v: 2 }),
      wait: (_input, ctx) => {
        contexts.push(ctx);
        waiting.splice(0).forEach((resolve) => resolve());
        return new Promise((resolve) => release.push(() => resolve({})));
      },
      seen: (_input, ctx) => ({ trace: ctx.trace.traceparent, tenant: ctx.metadata.tenant ?? '' }),
    });
    server = createHttpServer({ host, ready: () => ready, onError: (e) => errors.push(e) });
    const { address } = await server.listen();
    client = new Client(`http://${address}`);
  });
  after(async () => {
    await client.close();
    await server.close({ graceMs: 0 });
  });

  async function call(
    path: string,
    init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {},
    via = client,
  ) {
    const response = await via.request({
      path,
      method: (init.method ?? 'POST') as 'POST',
      body: init.body,
      headers: init.headers,
    });
    const bytes = await response.body.bytes();
    const type = String(response.headers['content-type']);
    const body =
      type === msgpack.contentType
        ? msgpack.decode(bytes)
        : JSON.parse(Buffer.from(bytes).toString() || 'null');
    return { status: response.statusCode, type, body, headers: response.headers };
  }
  const json = { 'content-type': 'application/json' };

  it('serves v1 and v2 of a contract side by side', async () => {
    assert.deepEqual((await call('/v1/double', { body: '{"n":2}', headers: json })).body, { n: 4, v: 1 });
    assert.deepEqual((await call('/v2/double', { body: '{"n":2}', headers: json })).body, { n: 4, v: 2 });
  });

  it('reads and writes MessagePack by Content-Type and Accept', async () => {
    const body = msgpack.encode({ n: 21 });
    const packed = await call('/v2/double', {
      body,
      headers: { 'content-type': 'application/x-msgpack', accept: 'application/msgpack' },
    });
    assert.equal(packed.type, 'application/msgpack');
    assert.deepEqual(packed.body, { n: 42, v: 2 });
    const mixed = await call('/v2/double', { body, headers: { 'content-type': 'application/msgpack' } });
    assert.equal(mixed.type, 'application/json', 'JSON unless asked otherwise');
    const malformed = await call('/v2/double', {
      body: Uint8Array.of(0xc1),
      headers: { 'content-type': 'application/msgpack' },
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'INVALID_ARGUMENT');
  });

  it('answers 406 when nothing acceptable can be produced, before running the handler', async () => {
    const answer = await call('/v2/double', { body: '{"n":1}', headers: { ...json, accept: 'text/html' } });
    assert.equal(answer.status, 406);
    assert.equal(answer.body.code, 'NOT_ACCEPTABLE');
  });

  it('answers 413 to a body over the limit, keeping the connection when the rest is small', async () => {
    const small = createHttpServer({ host: hostWithWait(), bodyLimitBytes: 100 });
    const { address, port } = await small.listen();
    const streaming = new Client(`http://${address}`, { pipelining: 1 });
    try {
      const chunks = async function* () {
        for (let i = 0; i < 8; i++) yield Buffer.from(`{"n":${' '.repeat(60)}1}`);
      };
      const refused = await streaming.request({
        path: '/v2/double',
        method: 'POST',
        body: Readable.from(chunks()),
        headers: json,
      });
      assert.equal(refused.statusCode, 413);
      assert.equal(((await refused.body.json()) as { code: string }).code, 'PAYLOAD_TOO_LARGE');
      const next = await streaming.request({
        path: '/v2/double',
        method: 'POST',
        body: '{"n":1}',
        headers: json,
      });
      assert.equal(next.statusCode, 200, 'the same connection serves the next call');
      await next.body.dump();

      // A declared length far past the limit is refused before reading and the connection closed.
      const socket = connect(port, '127.0.0.1');
      socket.write(
        `POST /v2/double HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10000000\r\n\r\n`,
      );
      let answer = '';
      for await (const chunk of socket) answer += String(chunk);
      assert.match(answer, /^HTTP\/1\.1 413 /);
      assert.match(answer, /connection: close/i);
    } finally {
      await streaming.destroy();
      await small.close({ graceMs: 0 });
    }
  });

  it('answers a spent deadline with 504 without running the handler', async () => {
    const before = contexts.length;
    const answer = await call('/v2/wait', { body: '{}', headers: { ...json, 'ce-timeout': '0' } });
    assert.equal(answer.status, 504);
    assert.equal(answer.body.code, 'DEADLINE_EXCEEDED');
    assert.equal(contexts.length, before);
  });

  it('continues the caller’s trace (traceparent, or ce-traceparent) and reads metadata', async () => {
    const parent = childTrace();
    for (const name of ['traceparent', 'ce-traceparent']) {
      const { body } = await call('/v2/seen', {
        body: '{}',
        headers: { ...json, [name]: parent.traceparent, 'sy-meta-tenant': 'acme' },
      });
      assert.equal(traceIdOf(body.trace), traceIdOf(parent.traceparent));
      assert.notEqual(body.trace, parent.traceparent, 'the server works in a span of its own');
      assert.equal(body.tenant, 'acme');
    }
  });

  it('reports /healthz always and /readyz only when ready', async () => {
    assert.equal((await call('/healthz', { method: 'GET' })).status, 200);
    assert.equal((await call('/readyz', { method: 'GET' })).status, 503);
    ready = true;
    assert.deepEqual((await call('/readyz', { method: 'GET' })).body, { status: 'ready' });
    const wrong = await call('/healthz', { method: 'POST' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'GET, HEAD');
  });

  it('aborts the handler’s signal when the client goes away', async () => {
    const started = new Promise<void>((resolve) => waiting.push(resolve));
    const abort = new AbortController();
    const request = client.request({
      path: '/v2/wait',
      method: 'POST',
      body: '{}',
      headers: json,
      signal: abort.signal,
    });
    await started;
    abort.abort();
    await assert.rejects(request);
    const signal = await aborted(contexts.at(-1)!);
    assert.ok(SwitchyardError.is(signal.reason, 'CANCELLED'));
    release.splice(0).forEach((resolve) => resolve());
    assert.deepEqual(
      errors.map((e) => e.code),
      ['DEADLINE_EXCEEDED'],
      'onError hears 5xx answers (the spent deadline above), and a cancelled call answers nothing',
    );
  });

  it('drains: refuses new calls on kept-alive connections with notSent, lets in-flight ones finish', async () => {
    const own = createHttpServer({ host: hostWithWait(), port: 0 });
    const { address } = await own.listen();
    const a = new Client(`http://${address}`);
    const b = new Client(`http://${address}`);
    const c = new Client(`http://${address}`);
    try {
      assert.equal((await call('/healthz', { method: 'GET' }, c)).status, 200);
      assert.equal((await (await b.request({ path: '/readyz', method: 'GET' })).body.dump(), 200), 200);
      const started = new Promise<void>((resolve) => waiting.push(resolve));
      const inFlight = a.request({ path: '/v2/wait', method: 'POST', body: '{}', headers: json });
      await started;
      assert.equal(own.inFlight, 1);
      const closing = own.close({ graceMs: 5_000 });
      const readyz = await b.request({ path: '/readyz', method: 'GET' });
      assert.equal(readyz.statusCode, 503);
      await readyz.body.dump();
      const refused = await call('/v2/double', { body: '{"n":1}', headers: json }, c);
      assert.equal(refused.status, 503);
      assert.equal(refused.body.code, 'UNAVAILABLE');
      assert.equal(refused.body.details.notSent, true);
      assert.equal(refused.headers.connection, 'close');
      release.splice(0).forEach((resolve) => resolve());
      const finished = await inFlight;
      assert.equal(finished.statusCode, 200);
      await finished.body.dump();
      await closing;
      assert.equal(own.inFlight, 0);
    } finally {
      await a.destroy();
      await b.destroy();
      await c.destroy();
    }
  });

  it('destroys calls still running when the grace period ends', async () => {
    const own = createHttpServer({ host: hostWithWait() });
    const { address } = await own.listen();
    const a = new Client(`http://${address}`);
    const started = new Promise<void>((resolve) => waiting.push(resolve));
    const stuck = a.request({ path: '/v2/wait', method: 'POST', body: '{}', headers: json });
    await started;
    const t0 = Date.now();
    await own.close({ graceMs: 100 });
    assert.ok(Date.now() - t0 < 2_000);
    await assert.rejects(stuck);
    await aborted(contexts.at(-1)!); // the handler hears that its caller is gone
    release.splice(0).forEach((resolve) => resolve());
    await a.destroy();
  });

  function hostWithWait() {
    const host = createHost();
    host.implement(CalcV2, {
      double: ({ n }) => ({ n, v: 2 }),
      wait: (_input, ctx) => {
        contexts.push(ctx);
        waiting.splice(0).forEach((resolve) => resolve());
        return new Promise((resolve) => release.push(() => resolve({})));
      },
      seen: () => ({ trace: '', tenant: '' }),
    });
    return host;
  }
});
