import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSuccess, jsonBody, statusLabel, transportLabel } from './labels.js';

describe('error breakdown labels', () => {
  it('names an HTTP error by status and the problem document code', () => {
    const problem = jsonBody(
      'application/problem+json; charset=utf-8',
      '{"type":"https://switchyard.dev/errors/unavailable","status":503,"code":"UNAVAILABLE","detail":"x"}',
    );
    assert.equal(statusLabel(503, problem), '503 UNAVAILABLE');
    assert.equal(
      statusLabel(429, jsonBody('application/json', '{"code":"RESOURCE_EXHAUSTED"}')),
      '429 RESOURCE_EXHAUSTED',
    );
  });

  it('falls back to the status when the body has no usable code', () => {
    assert.equal(statusLabel(500, undefined), '500');
    assert.equal(statusLabel(500, jsonBody('text/plain', '{"code":"INTERNAL"}')), '500', 'not JSON by type');
    assert.equal(statusLabel(502, jsonBody('application/json', '<html>bad gateway')), '502', 'broken JSON');
    assert.equal(statusLabel(500, jsonBody('application/json', '{"code":42}')), '500');
    assert.equal(statusLabel(500, jsonBody('application/json', '["UNAVAILABLE"]')), '500');
    assert.equal(statusLabel(404, jsonBody('application/json', '')), '404');
  });

  it('names a transport error by its code, looking through causes and aggregate errors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(transportLabel(refused), 'ECONNREFUSED');
    assert.equal(transportLabel(new AggregateError([refused], 'all addresses failed')), 'ECONNREFUSED');
    assert.equal(transportLabel(new TypeError('fetch failed', { cause: refused })), 'ECONNREFUSED');
    assert.equal(transportLabel(new RangeError('no code')), 'RangeError');
    assert.equal(transportLabel('thrown string'), 'unknown error');
  });

  it('counts 2xx and 3xx as successes', () => {
    assert.deepEqual([200, 201, 204, 302, 399, 400, 404, 500, 503].map(isSuccess), [
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});
