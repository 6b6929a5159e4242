import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contract, operation, Type } from '../../contract/index.js';
import { mergePolicies } from '../routes/policies.js';
import { preferredWait } from '../streams/commands.js';
import { deprecationOf, sunsetError } from '../versions/deprecation.js';
import { requestIdOf } from './request-id.js';
import { edgeTrace } from './trace.js';

describe('gateway edge pieces', () => {
  it('keeps a sane client request id and replaces anything else', () => {
    assert.equal(requestIdOf('abc-123_x.y:z'), 'abc-123_x.y:z');
    for (const bad of ['', 'a b', 'x'.repeat(129), 'new\nline', ['a', 'b']])
      assert.match(requestIdOf(bad as string), /^[0-9a-f-]{36}$/);
    const started = edgeTrace({});
    assert.equal(
      requestIdOf(undefined, started),
      started.traceparent.split('-')[1],
      'the trace the gateway started',
    );
  });

  it('continues a valid trace, starts one otherwise, and drops tracestate with an invalid parent', () => {
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const child = edgeTrace({ traceparent: parent, tracestate: 'k=v' });
    assert.match(child.traceparent, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    assert.equal(child.tracestate, 'k=v');
    const fresh = edgeTrace({ traceparent: '00-zz-00-01', tracestate: 'k=v' });
    assert.doesNotMatch(fresh.traceparent, /4bf92f35/);
    assert.equal(fresh.tracestate, undefined);
  });

  it('reads Prefer: wait in its RFC 7240 forms', () => {
    assert.equal(preferredWait('wait=5'), 5);
    assert.equal(preferredWait('respond-async, wait=10'), 10);
    assert.equal(preferredWait('handling=lenient; wait="3"'), 3);
    assert.equal(preferredWait('respond-async'), undefined);
    assert.equal(preferredWait(undefined), undefined);
  });

  it('merges route policies layer by layer, false switching one off', () => {
    const merged = mergePolicies(
      1024,
      { auth: { scopes: ['a'] }, rateLimit: { limit: 1, windowMs: 1000 } },
      { rateLimit: false, validate: false },
      { auth: true },
    );
    assert.deepEqual(merged.auth, {});
    assert.equal(merged.rateLimit, undefined);
    assert.equal(merged.validate, false);
    assert.equal(merged.bodyBytes, 1024);
    assert.equal(mergePolicies(10, { auth: false }).auth, undefined);
  });

  it('writes Deprecation, Sunset and Link headers, and refuses after the sunset', () => {
    const old = contract({
      name: 'svc',
      version: '1.0.0',
      deprecated: { since: '2024-01-01', sunset: '2024-06-30T12:00:00Z', link: 'https://example.com/v2' },
      operations: {
        get: operation({
          input: Type.Object({}),
          output: Type.Object({}),
          http: { method: 'GET', path: '/x' },
        }),
      },
    });
    const deprecation = deprecationOf(old, 'get', '/v2/x')!;
    assert.deepEqual(deprecation.headers, [
      'deprecation',
      '@1704067200',
      'sunset',
      'Sun, 30 Jun 2024 12:00:00 GMT',
      'link',
      '<https://example.com/v2>; rel="deprecation"; type="text/html"',
      'link',
      '</v2/x>; rel="successor-version"',
    ]);
    assert.equal(sunsetError(deprecation, Date.parse('2024-06-30T11:59:59Z')), undefined);
    const gone = sunsetError(deprecation, Date.parse('2024-07-01'));
    assert.equal(gone?.code, 'GONE');
    assert.equal(gone?.details.successor, '/v2/x');
  });
});
