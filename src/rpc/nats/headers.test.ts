import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as nats from 'nats';
import { headers as natsHeaders, type MsgHdrs, type MsgHdrsImpl } from 'nats';
import { traceIdOf } from '../../envelope/index.js';
import { Context } from '../../runtime/index.js';
import type { NatsModule } from './connection.js';
import { readRequestHeaders, requestHeaderFactory, requestHeaders } from './headers.js';

describe('NATS request headers', () => {
  it('sends no headers for a root call without deadline, metadata or a non-JSON body', () => {
    assert.equal(requestHeaders(natsHeaders, new Context(), Infinity, undefined), undefined);
  });

  it('sends the remaining time, floored, and the content type when they are needed', () => {
    const h = requestHeaders(natsHeaders, new Context(), 1234.9, 'application/msgpack')!;
    assert.equal(h.get('ce-timeout'), '1234');
    assert.equal(h.get('content-type'), 'application/msgpack');
    assert.equal(h.has('ce-id'), false);
    assert.equal(requestHeaders(natsHeaders, new Context(), -5, undefined)!.get('ce-timeout'), '0');
  });

  it('carries ids, trace, attempt and metadata of a call that belongs to a chain, and reads them back', () => {
    const parent = new Context({ metadata: { tenant: 'acme', userId: 'u-1' } });
    const ctx = new Context({ parent, attempt: 2, timeoutMs: 5000 });
    const h = requestHeaders(natsHeaders, ctx, ctx.remainingMs(), undefined)!;
    const now = Date.now();
    const { init, contentType } = readRequestHeaders(h, now);
    assert.equal(contentType, undefined);
    assert.equal(init.id, ctx.id);
    assert.equal(init.correlationId, parent.correlationId);
    assert.equal(init.causationId, parent.id);
    assert.equal(init.parentTrace?.traceparent, ctx.trace.traceparent, "the caller's span is the parent");
    assert.equal(init.attempt, 2);
    assert.deepEqual(init.metadata, { tenant: 'acme', userId: 'u-1' });
    assert.ok(init.deadline! > now + 4900 && init.deadline! <= now + 5000);
    const server = new Context(init);
    assert.equal(server.correlationId, parent.correlationId);
    assert.equal(traceIdOf(server.trace.traceparent), traceIdOf(ctx.trace.traceparent), 'same trace');
    assert.notEqual(server.trace.traceparent, ctx.trace.traceparent, 'a new span on the server');
  });

  it('matches names case-insensitively (other clients canonicalise them) and ignores bad values', () => {
    const h = natsHeaders();
    h.set('Ce-Id', 'id-1');
    h.set('Ce-Timeout', 'soon');
    h.set('Ce-Attempt', '0');
    h.set('Content-Type', 'application/msgpack');
    h.set('Sy-Meta-userId', 'u-2');
    const { init, contentType } = readRequestHeaders(h, 0);
    assert.equal(init.id, 'id-1');
    assert.equal(init.deadline, undefined);
    assert.equal(init.attempt, undefined);
    assert.equal(contentType, 'application/msgpack');
    assert.deepEqual(init.metadata, { userId: 'u-2' });
  });

  it('encodes through the fast factory exactly as nats.js does, and falls back to it for the unusual', () => {
    const fast = requestHeaderFactory(nats as unknown as NatsModule)();
    const plain = natsHeaders();
    for (const h of [fast, plain]) {
      h.set('ce-timeout', '1500');
      h.set('sy-meta-tenant', ' Zoë ');
    }
    const wire = (h: MsgHdrs) => Buffer.from((h as MsgHdrsImpl).encode()).toString();
    assert.equal(wire(fast), wire(plain));
    assert.equal(fast.get('sy-meta-tenant'), 'Zoë');
    assert.deepEqual([...fast], [...plain]);
    fast.set('ce-timeout', '10');
    assert.equal(fast.get('ce-timeout'), '10', 'a repeated name replaces the value');
    assert.match(wire(fast), /ce-timeout: 10\r\n/);
    const badHeader = (e: unknown) => (e as { code?: unknown }).code === 'BAD_HEADER';
    assert.throws(
      () => requestHeaderFactory(nats as unknown as NatsModule)().set('bad name', 'x'),
      badHeader,
    );
    assert.throws(() => requestHeaderFactory(nats as unknown as NatsModule)().set('ok', 'a\r\nb'), badHeader);
  });
});
