import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { tableRows } from '../../test/support/markdown.js';
import {
  allCodes,
  codeFromGrpc,
  codeFromHttp,
  codes,
  fromProblem,
  SwitchyardError,
  toProblem,
} from './index.js';

describe('error model', () => {
  it('documents every code in docs/errors.md with its HTTP and gRPC status', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const rows = tableRows(doc);
    for (const code of allCodes) {
      const row = rows.find((cells) => cells[0] === `\`${code}\``);
      assert.ok(row, `docs/errors.md has no row for ${code}`);
      assert.equal(row[1], String(codes[code].http), `${code}: HTTP status`);
      assert.equal(row[2], String(codes[code].grpc), `${code}: gRPC status`);
    }
  });

  it('maps standard gRPC and HTTP statuses back to codes', () => {
    assert.equal(codeFromGrpc(5), 'NOT_FOUND');
    assert.equal(codeFromGrpc(14), 'UNAVAILABLE');
    assert.equal(codeFromGrpc(99), 'UNKNOWN');
    assert.equal(codeFromHttp(404), 'NOT_FOUND');
    assert.equal(codeFromHttp(502), 'INTERNAL');
    assert.equal(codeFromHttp(418), 'INVALID_ARGUMENT');
  });

  it('round-trips an error through problem+json without losing code, message, details or retryability', () => {
    const original = new SwitchyardError('FAILED_PRECONDITION', 'card declined', {
      details: { violations: [{ path: '/card', rule: 'valid', message: 'declined' }], orderId: 'o-1' },
      retryable: true,
    });
    const problem = toProblem(original, '/v1/orders');
    assert.equal(problem.status, 412);
    assert.equal(problem.type, 'https://switchyard.dev/errors/failed-precondition');
    const back = fromProblem(problem.status, JSON.parse(JSON.stringify(problem)));
    assert.equal(back.code, 'FAILED_PRECONDITION');
    assert.equal(back.message, 'card declined');
    assert.deepEqual(back.details, original.details);
    assert.equal(back.retryable, true);
  });

  it('reads a foreign problem document or plain status as the nearest code', () => {
    assert.equal(fromProblem(503, { title: 'Service Unavailable' }).code, 'UNAVAILABLE');
    assert.equal(fromProblem(404, undefined).code, 'NOT_FOUND');
  });

  it('round-trips through the wire form and hides unknown errors as INTERNAL', () => {
    const wire = JSON.parse(JSON.stringify(new SwitchyardError('NOT_FOUND', 'no order')));
    const back = SwitchyardError.from(wire);
    assert.ok(back instanceof SwitchyardError);
    assert.equal(back.code, 'NOT_FOUND');
    const hidden = SwitchyardError.from(new Error('password=hunter2'));
    assert.equal(hidden.code, 'INTERNAL');
    assert.doesNotMatch(hidden.message, /hunter2/);
  });
});
