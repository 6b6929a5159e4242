import { Metadata } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import { OrdersContract } from '../../../test/fixtures/orders.contract.js';
import {
  ordersHost,
  plainClient,
  rawCall,
  reflectedService,
  reflectionClient,
  sampleOrder,
} from '../../../test/rpc/grpc-support.js';
import { createGrpcServer, grpcServiceName, metadataKeys, type GrpcServer } from './index.js';

const orders = grpcServiceName(OrdersContract);

describe('gRPC server seen by a generic client (reflection only)', () => {
  let server: GrpcServer;
  let port: number;
  before(async () => {
    const host = ordersHost({
      getOrder: ({ orderId }, ctx) => {
        if (orderId === 'missing') throw new SwitchyardError('NOT_FOUND', `no order ${orderId}`);
        if (orderId === 'metadata') return { ...sampleOrder, orderId, note: JSON.stringify(ctx.metadata) };
        return { ...sampleOrder, orderId, note: 'ring twice' };
      },
    });
    server = createGrpcServer({ host });
    ({ port } = await server.listen());
  });
  after(() => server.close());

  for (const version of ['v1', 'v1alpha'] as const) {
    it(`lists the contract and health services (reflection ${version})`, async () => {
      const reflection = reflectionClient(port, version);
      try {
        const services = await reflection.listServices();
        assert.ok(services.includes('switchyard.orders.v1.Orders'), services.join());
        assert.ok(services.includes('grpc.health.v1.Health'), services.join());
      } finally {
        reflection.close();
      }
    });
  }

  it('describes the service with the field names and numbers of the exported .proto', async () => {
    const reflection = reflectionClient(port);
    try {
      const [file] = await reflection.fileContainingSymbol(`${orders}.GetOrder`);
      assert.equal(file!.name, 'switchyard/orders/v1/orders.proto');
      assert.equal(file!.package, 'switchyard.orders.v1');
      const request = file!.messageType.find((m: { name: string }) => m.name === 'CreateOrderRequest');
      const fields = request.field.map((f: any) => [f.name, f.number, f.proto3Optional ?? false]);
      assert.deepEqual(fields, [
        ['consumerId', 1, false],
        ['restaurantId', 2, false],
        ['items', 3, false],
        ['note', 4, true],
        ['priority', 5, true],
      ]);
      const rpc = file!.service[0].method.find((m: { name: string }) => m.name === 'GetOrder');
      assert.equal(rpc.inputType, '.switchyard.orders.v1.GetOrderRequest');
    } finally {
      reflection.close();
    }
  });

  it('calls getOrder with types built only from the reflected descriptors', async () => {
    const service = await reflectedService(port, orders);
    try {
      const { response, error } = await service.call('GetOrder', { orderId: 'o-9' });
      assert.equal(error, undefined);
      // protobufjs's Root.fromDescriptor leaves a map as the repeated entries it is on the wire.
      const tags = Object.entries(sampleOrder.tags).map(([key, value]) => ({ key, value }));
      assert.deepEqual(response, { ...sampleOrder, orderId: 'o-9', note: 'ring twice', tags });
    } finally {
      service.close();
    }
  });

  it('gets a plain gRPC status for our errors (NOT_FOUND = 5, the message as details)', async () => {
    const service = await reflectedService(port, orders);
    try {
      const { error } = await service.call('GetOrder', { orderId: 'missing' });
      assert.equal(error?.code, 5);
      assert.equal(error?.details, 'no order missing');
    } finally {
      service.close();
    }
  });

  it('answers bytes that are not the request message with INVALID_ARGUMENT, not INTERNAL', async () => {
    const client = plainClient(port);
    try {
      const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]);
      const { error } = await rawCall(client, `/${orders}/GetOrder`, garbage);
      assert.equal(error?.code, 3, error?.details);
      assert.match(error!.details, /malformed protobuf GetOrderRequest/);
    } finally {
      client.close();
    }
  });

  it('reads context metadata any client can send: sy-meta-<key>, and -bin for UTF-8 values', async () => {
    const service = await reflectedService(port, orders);
    const client = plainClient(port);
    try {
      const metadata = new Metadata();
      metadata.set(`${metadataKeys.metadataPrefix}tenant`, 'acme');
      metadata.set(`${metadataKeys.metadataPrefix}caller-bin`, Buffer.from('Zoë'));
      const input = service.service.methods.GetOrder!.resolvedRequestType!;
      const output = service.service.methods.GetOrder!.resolvedResponseType!;
      const request = Buffer.from(input.encode({ orderId: 'metadata' }).finish());
      const { response } = await rawCall(client, `/${orders}/GetOrder`, request, metadata);
      const note = (output.decode(response!) as unknown as { note: string }).note;
      assert.deepEqual(JSON.parse(note), { tenant: 'acme', caller: 'Zoë' });
    } finally {
      service.close();
      client.close();
    }
  });

  it('answers an unknown method or service with UNIMPLEMENTED', async () => {
    const client = plainClient(port);
    try {
      assert.equal((await rawCall(client, `/${orders}/ShipOrder`, Buffer.alloc(0))).error?.code, 12);
      assert.equal(
        (await rawCall(client, '/switchyard.orders.v9.Orders/GetOrder', Buffer.alloc(0))).error?.code,
        12,
      );
    } finally {
      client.close();
    }
  });
});
