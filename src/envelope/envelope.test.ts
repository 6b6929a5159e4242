import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childTrace, createEnvelope, fromHeaders, parseTraceparent, toHeaders, traceIdOf } from './index.js';

describe('envelope', () => {
  it('carries the CloudEvents 1.0 required attributes with a UUIDv7 id', () => {
    const e = createEnvelope({ source: 'orders', type: 'orders.orderCreated', data: { orderId: 'o' } });
    assert.equal(e.specversion, '1.0');
    assert.match(e.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(!Number.isNaN(Date.parse(e.time)));
    assert.equal(e.datacontenttype, 'application/json');
    assert.ok(!('correlationid' in e), 'absent optional attributes are not set');
  });

  it('sorts ids by creation time', () => {
    const ids = Array.from({ length: 50 }, () => createEnvelope({ source: 's', type: 't', data: null }).id);
    assert.deepEqual([...ids].sort(), ids);
  });

  it('sends the deadline as remaining time and restores it against the receiver clock', () => {
    const sent = createEnvelope({
      source: 's',
      type: 't',
      data: 1,
      deadline: 10_000,
      correlationid: 'c',
      attempt: 2,
    });
    const headers = toHeaders(sent, { now: 9_250 });
    assert.equal(headers['ce-timeout'], '750');
    // The receiver's clock is 5 s ahead: the deadline moves with it, the remaining time does not.
    const received = fromHeaders(headers, 14_300);
    assert.equal(received.deadline, 15_050);
    assert.equal(received.correlationid, 'c');
    assert.equal(received.attempt, 2);
    assert.equal(received.id, sent.id);
  });

  it('never sends a negative remaining time', () => {
    const headers = toHeaders(createEnvelope({ source: 's', type: 't', data: 1, deadline: 100 }), {
      now: 200,
    });
    assert.equal(headers['ce-timeout'], '0');
  });

  it('continues a W3C trace with a new span and keeps tracestate', () => {
    const root = childTrace();
    const parsed = parseTraceparent(root.traceparent);
    assert.ok(parsed);
    const child = childTrace({ traceparent: root.traceparent, tracestate: 'vendor=1' });
    const c = parseTraceparent(child.traceparent)!;
    assert.equal(c.traceId, parsed.traceId);
    assert.notEqual(c.spanId, parsed.spanId);
    assert.equal(child.tracestate, 'vendor=1');
    assert.equal(parseTraceparent('00-00000000000000000000000000000000-0000000000000000-01'), undefined);
    assert.equal(parseTraceparent('garbage'), undefined);
  });

  it('reads only well-formed version-00 traceparents, around whitespace', () => {
    const value = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const expected = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', flags: '01' };
    assert.deepEqual(parseTraceparent(value), expected);
    assert.deepEqual(parseTraceparent(` ${value}\t`), expected);
    for (const bad of [
      value.toUpperCase(),
      value.replace('00-', '01-'),
      value.replace('-01', '-0g'),
      value.replace('0af7', '0a-7'),
      `${value}0`,
      value.slice(0, -1),
      value.replace('b7ad6b7169203331', '0000000000000000'),
    ])
      assert.equal(parseTraceparent(bad), undefined, bad);
    assert.equal(traceIdOf(value), expected.traceId);
    const child = childTrace({ traceparent: ` ${value}` });
    assert.equal(traceIdOf(child.traceparent), expected.traceId);
    assert.match(child.traceparent, /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
  });
});

describe('ids', () => {
  it('are valid UUIDv7 with the current time and strictly increasing within a process', async () => {
    const { newId } = await import('./index.js');
    const before = Date.now();
    const ids = Array.from({ length: 20_000 }, () => newId());
    for (const id of ids)
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} !< ${ids[i]}`);
    const ms = parseInt(ids[0]!.replaceAll('-', '').slice(0, 12), 16);
    assert.ok(ms >= before && ms <= Date.now() + 5);
  });
});
