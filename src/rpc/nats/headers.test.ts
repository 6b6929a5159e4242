import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headers as natsHeaders } from 'nats';
import { traceIdOf } from '../../envelope/index.js';
import { Context } from '../../runtime/index.js';
import { readRequestHeaders, requestHeaders } from './headers.js';

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
    assert.equal(traceIdOf(init.trace?.traceparent), traceIdOf(ctx.trace.traceparent), 'same trace');
    assert.notEqual(init.trace?.traceparent, ctx.trace.traceparent, 'a new span on the server');
    assert.equal(init.attempt, 2);
    assert.deepEqual(init.metadata, { tenant: 'acme', userId: 'u-1' });
    assert.ok(init.deadline! > now + 4900 && init.deadline! <= now + 5000);
    const server = new Context(init);
    assert.equal(server.correlationId, parent.correlationId);
    assert.equal(server.trace.traceparent.split('-')[1], parent.trace.traceparent.split('-')[1]);
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
});
