import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { OrdersContract } from '../../../test/fixtures/orders.contract.js';
import { Type, command, contract, event } from '../index.js';
import { exportAsyncApi, type AsyncApiDocument } from './asyncapi.js';
import type { JsonSchema } from './json-schema.js';

async function parse(doc: AsyncApiDocument) {
  const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  return { document, errors };
}

async function assertValid(doc: AsyncApiDocument) {
  const { document, errors } = await parse(doc);
  assert.deepEqual(
    errors.map((e) => `${e.path.join('/')}: ${e.message}`),
    [],
  );
  assert.ok(document, 'the parser returned no document');
  return document;
}

describe('exportAsyncApi', () => {
  const doc = exportAsyncApi(OrdersContract);

  it('produces an AsyncAPI 3.0 document the parser accepts', async () => {
    assert.equal(doc.asyncapi, '3.0.0');
    assert.deepEqual(doc.info, {
      title: 'orders',
      version: '1.2.0',
      description: 'Creates and tracks orders',
    });
    const document = await assertValid(doc);
    assert.deepEqual(
      document
        .operations()
        .all()
        .map((o) => o.id())
        .sort(),
      ['receiveApproveOrder', 'receiveNotifyConsumer', 'sendOrderApproved', 'sendOrderCreated'],
    );
  });

  it('is deterministic', () => {
    assert.equal(
      JSON.stringify(exportAsyncApi(OrdersContract)),
      JSON.stringify(exportAsyncApi(OrdersContract)),
    );
  });

  it('has the command channel, the event channel and a reply channel per command with a reply', () => {
    assert.deepEqual(Object.keys(doc.channels), ['orders.commands', 'approveOrder.replies', 'orders.events']);
    assert.equal(doc.channels['orders.commands']!.address, 'orders.commands');
    assert.deepEqual(Object.keys(doc.channels['orders.commands']!.messages), [
      'approveOrder',
      'notifyConsumer',
    ]);
    assert.deepEqual(Object.keys(doc.channels['orders.events']!.messages), ['orderCreated', 'orderApproved']);
    assert.equal(doc.channels['approveOrder.replies']!.address, null);
  });

  it('receives commands and sends events', () => {
    const approve = doc.operations.receiveApproveOrder!;
    assert.equal(approve.action, 'receive');
    assert.deepEqual(approve.channel, { $ref: '#/channels/orders.commands' });
    assert.deepEqual(approve.messages, [{ $ref: '#/channels/orders.commands/messages/approveOrder' }]);
    assert.equal(doc.operations.receiveNotifyConsumer!.reply, undefined);
    const created = doc.operations.sendOrderCreated!;
    assert.equal(created.action, 'send');
    assert.deepEqual(created.channel, { $ref: '#/channels/orders.events' });
  });

  it('replies to approveOrder at the address in the replyto header', () => {
    assert.deepEqual(doc.operations.receiveApproveOrder!.reply, {
      address: { location: '$message.header#/replyto', description: 'The address the requester asked for' },
      channel: { $ref: '#/channels/approveOrder.replies' },
      messages: [{ $ref: '#/channels/approveOrder.replies/messages/approveOrder.reply' }],
    });
    const reply = doc.components.messages['approveOrder.reply']!;
    assert.deepEqual(reply.payload, {
      type: 'object',
      required: ['ok'],
      properties: { ok: { type: 'boolean' } },
    });
    assert.equal(reply['x-partition-key'], undefined);
  });

  it('describes payloads, the CloudEvents headers, correlation and partition keys', () => {
    const approve = doc.components.messages.approveOrder!;
    assert.equal(approve.contentType, 'application/json');
    assert.deepEqual(approve['x-content-types'], ['application/json', 'application/msgpack']);
    assert.equal(approve['x-partition-key'], 'orderId');
    assert.deepEqual(approve.correlationId, { $ref: '#/components/correlationIds/correlationid' });
    assert.equal(doc.components.correlationIds.correlationid!.location, '$message.header#/correlationid');
    assert.deepEqual(approve.headers.properties, { type: { const: 'orders.approveOrder' } });
    assert.equal(doc.components.messages.notifyConsumer!['x-partition-key'], undefined);

    const headers = doc.components.schemas.EnvelopeHeaders as {
      properties: Record<string, JsonSchema>;
      required: string[];
    };
    for (const name of [
      'specversion',
      'id',
      'source',
      'type',
      'time',
      'datacontenttype',
      'correlationid',
      'causationid',
      'replyto',
      'partitionkey',
      'traceparent',
      'tracestate',
      'deadline',
      'attempt',
    ])
      assert.ok(headers.properties[name], name);
    assert.deepEqual(headers.required, ['specversion', 'id', 'source', 'type', 'time', 'datacontenttype']);

    const total = (doc.components.messages.orderCreated!.payload.properties as Record<string, JsonSchema>)
      .total;
    assert.deepEqual(total?.required, ['amount', 'currency']);
  });

  it('marks deprecated messages and operations, and honours custom channels and $id schemas', async () => {
    const Money = Type.Object({ amount: Type.Integer(), currency: Type.String() }, { $id: 'Money' });
    const billing = contract({
      name: 'billing',
      version: '3.1.0',
      commands: {
        chargeCard: command({
          payload: Type.Object({ orderId: Type.String(), amount: Money, card: Type.Uint8Array() }),
          reply: Type.Object({ chargeId: Type.String(), amount: Money }),
          channel: 'billing.charges',
          deprecated: { since: '2026-01-01', sunset: '2026-12-31' },
        }),
      },
      events: {
        cardCharged: event({
          payload: Type.Object({ chargeId: Type.String(), amount: Money }),
          partitionKey: 'chargeId',
        }),
      },
    });
    const billingDoc = exportAsyncApi(billing, {
      servers: { local: { host: 'localhost:4222', protocol: 'nats' } },
    });
    await assertValid(billingDoc);

    assert.deepEqual(Object.keys(billingDoc.channels), [
      'billing.charges',
      'chargeCard.replies',
      'billing.events',
    ]);
    const charge = billingDoc.components.messages.chargeCard!;
    assert.equal(charge.deprecated, true);
    assert.equal(charge['x-sunset'], '2026-12-31');
    assert.equal(billingDoc.operations.receiveChargeCard!['x-deprecated'], true);
    assert.equal(billingDoc.operations.sendCardCharged!['x-deprecated'], undefined);

    const properties = charge.payload.properties as Record<string, JsonSchema>;
    assert.deepEqual(properties.amount, { $ref: '#/components/schemas/Money' });
    assert.deepEqual(properties.card, { type: 'string', contentEncoding: 'base64' });
    assert.deepEqual(Object.keys(billingDoc.components.schemas), ['EnvelopeHeaders', 'Money']);
  });

  it('is accepted for a contract without messaging', async () => {
    const quiet = exportAsyncApi(contract({ name: 'quiet', version: '0.1.0' }));
    assert.deepEqual(quiet.channels, {});
    await assertValid(quiet);
  });

  it('uses a parser that does report broken documents', async () => {
    const broken = structuredClone(doc);
    broken.operations.receiveApproveOrder!.messages = [
      { $ref: '#/channels/orders.events/messages/orderCreated' },
    ];
    assert.notEqual((await parse(broken)).errors.length, 0);
  });
});
