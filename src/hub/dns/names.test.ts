import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addrName, parseName, versionMatches } from './names.js';

describe('DNS names', () => {
  it('reads service, version and protocol names', () => {
    assert.deepEqual(parseName('orders.service.switchyard', 'switchyard'), {
      kind: 'service',
      service: 'orders',
    });
    assert.deepEqual(parseName('Orders.Service.SwitchYard.', 'switchyard'), {
      kind: 'service',
      service: 'orders',
    });
    assert.deepEqual(parseName('v1.orders.service.switchyard', 'switchyard'), {
      kind: 'service',
      service: 'orders',
      version: [1],
    });
    assert.deepEqual(parseName('1.4.0.orders.service.sw.local', 'sw.local'), {
      kind: 'service',
      service: 'orders',
      version: [1, 4, 0],
    });
    assert.deepEqual(parseName('_grpc._tcp.v2.orders.service.switchyard', 'switchyard'), {
      kind: 'service',
      service: 'orders',
      version: [2],
      protocol: 'grpc',
    });
  });

  it('tells names of the zone it cannot answer from names outside it', () => {
    assert.deepEqual(parseName('switchyard', 'switchyard'), { kind: 'apex' });
    assert.equal(parseName('example.com', 'switchyard'), undefined);
    assert.equal(parseName('orders.service.notswitchyard', 'switchyard'), undefined);
    for (const name of [
      'orders.switchyard',
      'service.switchyard',
      'x.orders.service.switchyard',
      '_smtp._tcp.orders.service.switchyard',
      'zz.addr.switchyard',
    ])
      assert.deepEqual(parseName(name, 'switchyard'), { kind: 'none' }, name);
  });

  it('names addresses in hex, both ways', () => {
    assert.equal(addrName('10.0.0.2', 'switchyard'), '0a000002.addr.switchyard');
    assert.deepEqual(parseName('0a000002.addr.switchyard', 'switchyard'), { kind: 'addr', ip: '10.0.0.2' });
    assert.equal(addrName('::1', 'sy'), '00000000000000000000000000000001.addr.sy');
    assert.equal(addrName('fe80::1:2', 'sy'), 'fe800000000000000000000000010002.addr.sy');
    assert.equal(addrName('::ffff:10.0.0.1', 'sy'), '00000000000000000000ffff0a000001.addr.sy');
    assert.deepEqual(parseName('fe800000000000000000000000010002.addr.sy', 'sy'), {
      kind: 'addr',
      ip: 'fe80:0000:0000:0000:0000:0000:0001:0002',
    });
  });

  it('matches versions by leading numbers', () => {
    assert.ok(versionMatches('1.4.2', [1]));
    assert.ok(versionMatches('1.4.2', [1, 4]));
    assert.ok(!versionMatches('1.4.2', [1, 5]));
    assert.ok(!versionMatches('11.0.0', [1]));
    assert.ok(versionMatches('2.0.0-beta.1', [2, 0, 0]));
  });
});
