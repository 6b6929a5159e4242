import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { OrdersContract } from '../../../test/fixtures/orders.contract.js';
import { allCodes } from '../../errors/index.js';
import { Type, contract, operation } from '../index.js';
import { exportOpenApi, type OpenApiDocument, type OpenApiOperation } from './openapi.js';
import type { JsonSchema } from './json-schema.js';

/** Validates the document as it would be served: plain JSON. */
async function validate(doc: OpenApiDocument) {
  return new Validator().validate(JSON.parse(JSON.stringify(doc)) as Record<string, unknown>);
}

async function assertValid(doc: OpenApiDocument) {
  const result = await validate(doc);
  assert.deepEqual(result.errors, undefined, JSON.stringify(result.errors, null, 2));
  assert.equal(result.valid, true);
}

function resolve(doc: OpenApiDocument, schema: JsonSchema | undefined): JsonSchema {
  const ref = schema?.$ref;
  if (typeof ref !== 'string') return schema ?? {};
  const found = doc.components.schemas[ref.replace('#/components/schemas/', '')];
  assert.ok(found, `dangling ${ref}`);
  return found;
}

function op(
  doc: OpenApiDocument,
  path: string,
  method: 'get' | 'post' | 'put' | 'delete' | 'patch',
): OpenApiOperation {
  const found = doc.paths[path]?.[method];
  assert.ok(found, `${method.toUpperCase()} ${path} is missing`);
  return found;
}

const OrdersV2 = contract({
  name: 'orders',
  version: '2.0.0',
  operations: {
    getOrder: operation({
      input: Type.Object({ orderId: Type.String() }),
      output: Type.Object({ orderId: Type.String(), state: Type.String() }, { $id: 'Order' }),
      http: { method: 'GET', path: '/orders/:orderId' },
      idempotent: true,
      errors: ['NOT_FOUND'],
    }),
    replaceOrder: operation({
      input: Type.Object({
        orderId: Type.String({ description: 'Which order' }),
        items: Type.Array(Type.Object({ sku: Type.String(), qty: Type.Integer() })),
        photo: Type.Optional(Type.Uint8Array()),
      }),
      output: Type.Object({ orderId: Type.String(), version: Type.Integer() }, { $id: 'Order' }),
      http: { method: 'PUT', path: '/orders/:orderId' },
      errors: ['NOT_FOUND', 'ALREADY_EXISTS', 'ABORTED'],
    }),
    searchOrders: operation({
      input: Type.Object({
        states: Type.Array(Type.Union([Type.Literal('PENDING'), Type.Literal('APPROVED')])),
        limit: Type.Optional(Type.Integer({ default: 20 })),
        filter: Type.Optional(Type.Record(Type.String(), Type.String())),
      }),
      output: Type.Object({ orderIds: Type.Array(Type.String()) }),
      http: { method: 'GET', path: '/orders' },
      idempotent: true,
    }),
  },
});

describe('exportOpenApi', () => {
  const doc = exportOpenApi(OrdersContract, { servers: ['https://api.example.com'] });

  it('produces a valid OpenAPI 3.1 document for the fixture contract', async () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc.info, {
      title: 'orders',
      version: '1.2.0',
      description: 'Creates and tracks orders',
    });
    assert.deepEqual(doc.servers, [{ url: 'https://api.example.com' }]);
    await assertValid(doc);
  });

  it('is deterministic', () => {
    assert.equal(
      JSON.stringify(exportOpenApi(OrdersContract)),
      JSON.stringify(exportOpenApi(OrdersContract)),
    );
  });

  it('maps each operation to its versioned path and method', () => {
    assert.deepEqual(Object.keys(doc.paths), ['/v1/orders', '/v1/orders/{orderId}']);
    assert.deepEqual(Object.keys(doc.paths['/v1/orders']!), ['post']);
    assert.deepEqual(Object.keys(doc.paths['/v1/orders/{orderId}']!), ['get', 'delete']);
    assert.equal(op(doc, '/v1/orders', 'post').operationId, 'createOrder');
    assert.equal(op(doc, '/v1/orders/{orderId}', 'get').operationId, 'getOrder');
  });

  it('declares path parameters and, for GET/DELETE, the rest of the input as query parameters', () => {
    const pathParam = { name: 'orderId', in: 'path', required: true, schema: { type: 'string' } };
    assert.deepEqual(op(doc, '/v1/orders/{orderId}', 'get').parameters, [pathParam]);
    assert.deepEqual(op(doc, '/v1/orders/{orderId}', 'delete').parameters, [
      pathParam,
      {
        name: 'reason',
        in: 'query',
        required: false,
        style: 'form',
        explode: true,
        schema: { type: 'string' },
      },
    ]);
    assert.equal(op(doc, '/v1/orders/{orderId}', 'get').requestBody, undefined);
  });

  it('marks deprecated operations with the sunset date and the replacement link', () => {
    const cancel = op(doc, '/v1/orders/{orderId}', 'delete');
    assert.equal(cancel.deprecated, true);
    assert.equal(cancel['x-sunset'], '2027-06-30');
    assert.equal(cancel.externalDocs?.url, 'https://example.com/orders/v2');
    assert.match(cancel.description ?? '', /Deprecated since 2026-01-01/);
    assert.equal(op(doc, '/v1/orders/{orderId}', 'get').deprecated, undefined);
  });

  it('states idempotency', () => {
    assert.equal(op(doc, '/v1/orders/{orderId}', 'get')['x-idempotent'], true);
    assert.equal(op(doc, '/v1/orders', 'post')['x-idempotent'], false);
  });

  it('describes declared errors, 400 and 500 as problem+json responses', () => {
    const get = op(doc, '/v1/orders/{orderId}', 'get');
    assert.deepEqual(Object.keys(get.responses), ['200', '400', '404', '500', 'default']);
    const notFound = get.responses['404']!;
    assert.deepEqual(notFound.content, {
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
    });
    assert.deepEqual(notFound['x-error-codes'], ['NOT_FOUND']);
    assert.match(notFound.description, /NOT_FOUND/);
    assert.deepEqual(Object.keys(get.responses['200']!.content!), [
      'application/json',
      'application/msgpack',
    ]);
    assert.deepEqual(Object.keys(op(doc, '/v1/orders', 'post').responses), [
      '200',
      '400',
      '412',
      '500',
      'default',
    ]);
  });

  it('defines the shared Problem schema with every code and violations', () => {
    const problem = doc.components.schemas.Problem as { properties: Record<string, JsonSchema> };
    assert.deepEqual(problem.properties.code!.enum, allCodes);
    for (const field of ['type', 'title', 'status', 'detail', 'instance', 'retryable', 'details'])
      assert.ok(problem.properties[field], field);
    const violation = doc.components.schemas.Violation as { required: string[] };
    assert.deepEqual(violation.required, ['path', 'rule', 'message']);
  });

  it('sends the input as a JSON or MessagePack body for POST, keeping defaults', () => {
    const body = op(doc, '/v1/orders', 'post').requestBody!;
    assert.equal(body.required, true);
    assert.deepEqual(Object.keys(body.content), ['application/json', 'application/msgpack']);
    const schema = resolve(doc, body.content['application/json']!.schema) as {
      properties: Record<string, JsonSchema>;
      required: string[];
    };
    assert.deepEqual(schema.properties.priority, { default: false, type: 'boolean' });
    assert.deepEqual(schema.required, ['consumerId', 'restaurantId', 'items']);
  });

  describe('with several contracts', () => {
    const both = exportOpenApi([OrdersContract, OrdersV2], { title: 'Orders API' });

    it('is valid, with one prefix per major version and prefixed operation ids', async () => {
      await assertValid(both);
      assert.deepEqual(Object.keys(both.paths), [
        '/v1/orders',
        '/v1/orders/{orderId}',
        '/v2/orders',
        '/v2/orders/{orderId}',
      ]);
      assert.equal(op(both, '/v1/orders/{orderId}', 'get').operationId, 'ordersV1GetOrder');
      assert.equal(op(both, '/v2/orders/{orderId}', 'get').operationId, 'ordersV2GetOrder');
      assert.deepEqual(both.info, { title: 'Orders API', version: '1.2.0, 2.0.0' });
      assert.deepEqual(
        both.tags.map((t) => t.name),
        ['orders v1', 'orders v2'],
      );
    });

    it('leaves path parameters out of the request body', () => {
      const put = op(both, '/v2/orders/{orderId}', 'put');
      assert.deepEqual(put.parameters, [
        {
          name: 'orderId',
          in: 'path',
          required: true,
          description: 'Which order',
          schema: { description: 'Which order', type: 'string' },
        },
      ]);
      const body = resolve(both, put.requestBody!.content['application/json']!.schema);
      assert.deepEqual(Object.keys(body.properties as object), ['items', 'photo']);
      assert.deepEqual(body.required, ['items']);
      assert.deepEqual((body.properties as Record<string, JsonSchema>).photo, {
        type: 'string',
        contentEncoding: 'base64',
      });
    });

    it('merges codes that share an HTTP status', () => {
      const conflict = op(both, '/v2/orders/{orderId}', 'put').responses['409']!;
      assert.deepEqual(conflict['x-error-codes'], ['ALREADY_EXISTS', 'ABORTED']);
      assert.match(conflict.description, /ALREADY_EXISTS.*ABORTED/);
    });

    it('encodes scalar arrays in form style and nested values as JSON in the query', () => {
      const params = op(both, '/v2/orders', 'get').parameters!;
      assert.deepEqual(
        params.map((p) => [p.name, p.required, p.style ?? Object.keys(p.content ?? {})[0]]),
        [
          ['states', true, 'form'],
          ['limit', false, 'form'],
          ['filter', false, 'application/json'],
        ],
      );
      assert.deepEqual(params[1]!.schema, { default: 20, type: 'integer' });
      assert.deepEqual(params[2]!.content!['application/json']!.schema, {
        type: 'object',
        additionalProperties: { type: 'string' },
      });
    });

    it('turns schemas with an $id into components, keeping different ones apart', () => {
      const get = op(both, '/v2/orders/{orderId}', 'get').responses['200']!.content!['application/json']!
        .schema;
      const put = op(both, '/v2/orders/{orderId}', 'put').responses['200']!.content!['application/json']!
        .schema;
      assert.deepEqual(get, { $ref: '#/components/schemas/Order' });
      assert.deepEqual(put, { $ref: '#/components/schemas/Order_2' });
      assert.deepEqual(Object.keys(resolve(both, get).properties as object), ['orderId', 'state']);
      assert.deepEqual(Object.keys(resolve(both, put).properties as object), ['orderId', 'version']);
      assert.ok(!JSON.stringify(both).includes('"$id"'));
    });

    it('refuses the same contract version twice', () => {
      assert.throws(() => exportOpenApi([OrdersContract, OrdersContract]), /orders v1 is given twice/);
    });
  });

  it('marks every operation deprecated when the contract is', async () => {
    const old = contract({
      name: 'legacy',
      version: '1.0.0',
      deprecated: { since: '2025-01-01', sunset: '2026-01-01' },
      operations: {
        ping: operation({ input: Type.Object({}), output: Type.Object({ ok: Type.Boolean() }) }),
      },
    });
    const legacy = exportOpenApi(old);
    await assertValid(legacy);
    const ping = op(legacy, '/v1/ping', 'post');
    assert.equal(ping.deprecated, true);
    assert.equal(ping['x-sunset'], '2026-01-01');
    assert.equal(ping.requestBody, undefined, 'an empty input needs no body');
  });

  it('refuses paths that OpenAPI cannot tell apart', () => {
    const clash = contract({
      name: 'clash',
      version: '1.0.0',
      operations: {
        getThing: operation({
          input: Type.Object({ id: Type.String() }),
          output: Type.Object({}),
          http: { method: 'GET', path: '/things/:id' },
        }),
        dropThing: operation({
          input: Type.Object({ thingId: Type.String() }),
          output: Type.Object({}),
          http: { method: 'DELETE', path: '/things/:thingId' },
        }),
      },
    });
    assert.throws(() => exportOpenApi(clash), /must name its parameters as \/v1\/things\/\{id\} does/);
  });

  it('is valid for a contract without operations', async () => {
    const empty = exportOpenApi(contract({ name: 'quiet', version: '0.1.0' }));
    assert.deepEqual(empty.paths, {});
    await assertValid(empty);
  });

  it('uses a validator that does reject broken documents', async () => {
    const broken = {
      ...doc,
      paths: { '/v1/x': { get: { responses: 'none' } } },
    } as unknown as OpenApiDocument;
    assert.equal((await validate(broken)).valid, false);
  });
});
