import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NatsError } from 'nats';
import { SwitchyardError } from '../../errors/index.js';
import { errorReply, fromPublishError } from './errors.js';

describe('NATS error mapping', () => {
  it('answers with our HTTP status as the micro error code, one line of description, the wire error as body', () => {
    const error = new SwitchyardError('NOT_FOUND', 'no\r\norder', { details: { orderId: 'o-1' } });
    const reply = errorReply(error);
    assert.equal(reply.status, 404);
    assert.equal(reply.description, 'no order');
    assert.deepEqual(JSON.parse(Buffer.from(reply.body).toString()), {
      code: 'NOT_FOUND',
      message: 'no\r\norder',
      details: { orderId: 'o-1' },
      retryable: false,
    });
    assert.equal(errorReply(new SwitchyardError('INTERNAL', 'x'.repeat(5000))).description.length, 1024);
  });

  it('maps why nats.js refused to publish by its code; none of those requests left the process', () => {
    const map = (code: string) => fromPublishError(new NatsError('m', code), 'a.b');
    assert.equal(map('CONNECTION_CLOSED').code, 'UNAVAILABLE');
    assert.equal(map('CONNECTION_DRAINING').code, 'UNAVAILABLE');
    assert.equal(map('MAX_PAYLOAD_EXCEEDED').code, 'PAYLOAD_TOO_LARGE');
    assert.equal(map('BAD_HEADER').code, 'INVALID_ARGUMENT');
    assert.equal(map('SOMETHING_NEW').code, 'UNKNOWN');
    for (const code of ['CONNECTION_CLOSED', 'MAX_PAYLOAD_EXCEEDED', 'SOMETHING_NEW'])
      assert.deepEqual(map(code).details, { subject: 'a.b', notSent: true });
    const ours = new SwitchyardError('INVALID_ARGUMENT', 'bad');
    assert.equal(fromPublishError(ours, 'a.b'), ours);
  });
});
