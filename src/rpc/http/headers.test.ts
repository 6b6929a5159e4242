import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextFromHeaders } from './headers.js';

const clients = {
  client: () => {
    throw new Error('no clients in these tests');
  },
};

describe('the server context from request headers', () => {
  it('takes the CloudEvents ids, the deadline left and sy-meta metadata', () => {
    const ctx = contextFromHeaders(
      {
        'ce-id': 'call-1',
        'ce-correlationid': 'corr-1',
        'ce-timeout': '5000',
        'sy-meta-tenant': 'acme',
        'x-request-id': 'req-1',
      },
      { clients },
    );
    assert.equal(ctx.id, 'call-1');
    assert.equal(ctx.correlationId, 'corr-1', 'ce-correlationid wins over a request id');
    assert.ok(ctx.deadline! - Date.now() > 4_000);
    assert.deepEqual(ctx.metadata, { tenant: 'acme' });
  });

  it('reads a gateway’s request id as the correlation id and its identity headers as metadata', () => {
    const ctx = contextFromHeaders(
      {
        'x-request-id': 'req-7',
        'x-identity-subject': 'alice',
        'x-identity-scopes': 'orders:read orders:write',
        'sy-meta-tenant': 'acme',
        'x-other': 'not metadata',
      },
      { clients },
    );
    assert.equal(ctx.correlationId, 'req-7');
    assert.deepEqual(ctx.metadata, {
      'x-identity-subject': 'alice',
      'x-identity-scopes': 'orders:read orders:write',
      tenant: 'acme',
    });
  });
});
