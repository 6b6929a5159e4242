import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import { parseRegistration } from './schema.js';

const valid = { id: 'orders-1', service: 'orders', version: '1.4.0', endpoints: { http: '127.0.0.1:8080' } };

function rejects(body: unknown, path: string, options: { id?: string } = {}) {
  assert.throws(
    () => parseRegistration(body, options),
    (error) => {
      assert.ok(SwitchyardError.is(error, 'INVALID_ARGUMENT'), String(error));
      assert.equal(error.httpStatus, 400);
      assert.ok(error.message.includes(path), `${error.message} names ${path}`);
      assert.ok(error.details.violations?.some((v) => v.path === path));
      return true;
    },
  );
}

describe('registration validation', () => {
  it('fills defaults', () => {
    assert.deepEqual(parseRegistration({ ...valid, check: { type: 'tcp', address: '127.0.0.1:8080' } }), {
      ...valid,
      labels: {},
      ttlSeconds: 10,
      check: { type: 'tcp', address: '127.0.0.1:8080', intervalSeconds: 10, timeoutSeconds: 5 },
    });
    const short = parseRegistration({
      ...valid,
      ttlSeconds: 3,
      check: { type: 'http', url: 'http://a/h', intervalSeconds: 1 },
    });
    assert.equal(short.ttlSeconds, 3);
    assert.deepEqual(short.check, { type: 'http', url: 'http://a/h', intervalSeconds: 1, timeoutSeconds: 1 });
  });

  it('takes the id from the URL when the body has none, and rejects a different one', () => {
    const { id: _id, ...rest } = valid;
    assert.equal(parseRegistration(rest, { id: 'orders-9' }).id, 'orders-9');
    rejects(valid, '/id', { id: 'orders-9' });
  });

  it('names the field of each kind of mistake', () => {
    rejects('nope', '/');
    rejects({ ...valid, service: undefined }, '/service');
    rejects({ ...valid, service: 'Orders_Svc' }, '/service');
    rejects({ ...valid, version: 'one' }, '/version');
    rejects({ ...valid, endpoints: {} }, '/endpoints');
    rejects({ ...valid, endpoints: { http: 'localhost' } }, '/endpoints/http');
    rejects({ ...valid, endpoints: { http: '127.0.0.1:70000' } }, '/endpoints/http');
    rejects({ ...valid, endpoints: { grpc: '[nothex]:80' } }, '/endpoints/grpc');
    rejects({ ...valid, endpoints: { http: '300.1.1.1:80' } }, '/endpoints/http');
    rejects({ ...valid, endpoints: { smtp: '127.0.0.1:25' } }, '/endpoints/smtp');
    rejects({ ...valid, labels: { team: 7 } }, '/labels/team');
    rejects({ ...valid, ttlSeconds: 0 }, '/ttlSeconds');
    rejects({ ...valid, ttlSeconds: 1.5 }, '/ttlSeconds');
    rejects({ ...valid, zone: '' }, '/zone');
    rejects({ ...valid, weight: 3 }, '/weight');
    rejects({ ...valid, check: 'http' }, '/check');
    rejects({ ...valid, check: { type: 'icmp' } }, '/check/type');
    rejects({ ...valid, check: { type: 'http' } }, '/check/url');
    rejects({ ...valid, check: { type: 'http', url: 'ftp://x' } }, '/check/url');
    rejects({ ...valid, check: { type: 'tcp', address: 'x' } }, '/check/address');
    rejects(
      { ...valid, check: { type: 'grpc', address: '127.0.0.1:1', intervalSeconds: 0 } },
      '/check/intervalSeconds',
    );
  });

  it('accepts IPv6 and host names', () => {
    const r = parseRegistration({
      ...valid,
      endpoints: { http: '[::1]:80', grpc: 'orders-1.internal:9090' },
    });
    assert.deepEqual(r.endpoints, { http: '[::1]:80', grpc: 'orders-1.internal:9090' });
  });
});
