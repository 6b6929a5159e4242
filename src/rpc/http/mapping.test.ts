import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { arbitraryFor } from '../../../test/support/arbitrary.js';
import { OrdersContract } from '../../../test/fixtures/orders.contract.js';
import { contract, exportOpenApi, operation, Type, type AnyContract } from '../../contract/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { ConformanceContract } from '../conformance/contract.js';
import { inputFromBody, inputFromQuery, requestBody, requestTarget, routeOf } from './mapping.js';
import { createRouter } from './router.js';

const Query = Type.Object({
  id: Type.Integer(),
  slug: Type.String({ minLength: 1 }),
  q: Type.Optional(Type.String()),
  ratio: Type.Optional(Type.Number()),
  on: Type.Optional(Type.Boolean()),
  kind: Type.Optional(Type.Union([Type.Literal('a'), Type.Literal('b')])),
  tags: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  sizes: Type.Optional(Type.Array(Type.Integer(), { minItems: 1 })),
  filter: Type.Optional(Type.Object({ min: Type.Integer(), names: Type.Array(Type.String()) })),
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  maybe: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

const Things = contract({
  name: 'things',
  version: '2.1.0',
  operations: {
    find: operation({
      input: Query,
      output: Type.Object({}),
      http: { method: 'GET', path: '/things/:id/:slug' },
    }),
    mine: operation({
      input: Type.Object({}),
      output: Type.Object({}),
      http: { method: 'GET', path: '/things/mine' },
    }),
    update: operation({
      input: Type.Object({ id: Type.Integer(), name: Type.String() }),
      output: Type.Object({}),
      http: { method: 'PATCH', path: '/things/:id' },
    }),
    touch: operation({
      input: Type.Object({ id: Type.Integer() }),
      output: Type.Object({}),
      http: { method: 'POST', path: '/things/:id/touch' },
    }),
  },
});

/** What the server makes of what the client writes. */
function roundTrip(contract: AnyContract, operation: string, input: Record<string, unknown>) {
  const target = requestTarget(routeOf(contract, operation), input);
  const [path = '', query = ''] = target.split('?');
  const match = createRouter([contract]).match(contract.operations[operation]!.http.method, path);
  assert.equal(match.kind, 'route', target);
  if (match.kind !== 'route') return undefined;
  const body = requestBody(match.route, input);
  return match.route.queryParams
    ? inputFromQuery(match.route, match.params, query)
    : inputFromBody(match.route, match.params, body === undefined ? {} : JSON.parse(JSON.stringify(body)));
}

describe('HTTP mapping', () => {
  it('reads on the server exactly what the client wrote, for every parameter style', () => {
    fc.assert(
      fc.property(arbitraryFor(Query), (input) => {
        assert.deepEqual(roundTrip(Things, 'find', input as Record<string, unknown>), input);
      }),
      { numRuns: 300 },
    );
  });

  it('sends a body without the path parameters, and the path wins on the server', () => {
    const route = routeOf(Things, 'update');
    assert.equal(requestTarget(route, { id: 5, name: 'n' }), '/v2/things/5');
    assert.deepEqual(requestBody(route, { id: 5, name: 'n' }), { name: 'n' });
    assert.deepEqual(inputFromBody(route, ['5'], { id: 6, name: 'n' }), { id: 5, name: 'n' });
    assert.equal(routeOf(Things, 'touch').sendsBody, false, 'every input property is in the path');
    assert.deepEqual(roundTrip(Things, 'touch', { id: 3 }), { id: 3 });
  });

  it('passes unreadable text on for validation to report, and reads repeated scalars as a list', () => {
    const route = routeOf(Things, 'find');
    assert.deepEqual(inputFromQuery(route, ['x1', 's'], 'on=yes&ratio=abc&q=1&q=2&other=ignored'), {
      id: 'x1',
      slug: 's',
      on: 'yes',
      ratio: 'abc',
      q: ['1', '2'],
    });
    assert.deepEqual(inputFromQuery(route, ['1', 'a+b%2Fc'], 'q=a+b%20c'), {
      id: 1,
      slug: 'a+b/c',
      q: 'a b c',
    });
  });

  it('rejects a JSON parameter that is not JSON, bad percent-encoding and a body that is not an object', () => {
    const route = routeOf(Things, 'find');
    const invalid = (fn: () => unknown) =>
      assert.throws(fn, (e) => SwitchyardError.is(e, 'INVALID_ARGUMENT'));
    invalid(() => inputFromQuery(route, ['1', 's'], 'filter=%7Bnope'));
    invalid(() => inputFromQuery(route, ['1', 's'], 'q=%E0%A4%A'));
    invalid(() => inputFromQuery(route, ['1', '%zz'], ''));
    invalid(() => inputFromBody(routeOf(Things, 'update'), ['1'], [1, 2]));
    invalid(() => inputFromBody(routeOf(Things, 'update'), ['1'], null));
  });

  it('classifies query parameters as the OpenAPI export documents them', () => {
    for (const c of [Things, OrdersContract, ConformanceContract] as AnyContract[]) {
      const doc = exportOpenApi(c);
      for (const [operation, def] of Object.entries(c.operations)) {
        const route = routeOf(c, operation);
        const documented =
          doc.paths[route.template.replace(/:([^/]+)/g, '{$1}')]?.[def.http.method.toLowerCase() as 'get'];
        for (const parameter of documented?.parameters ?? []) {
          if (parameter.in !== 'query') continue;
          const spec = route.queryParams?.get(parameter.name);
          assert.ok(spec, `${c.name}.${operation} ${parameter.name}`);
          assert.equal(
            spec.style === 'json',
            parameter.content !== undefined,
            `${c.name}.${operation} ${parameter.name}`,
          );
        }
      }
    }
  });
});

describe('HTTP router', () => {
  const V1 = contract({
    name: 'things',
    version: '1.0.0',
    operations: {
      get: operation({
        input: Type.Object({ id: Type.String() }),
        output: Type.Object({}),
        http: { method: 'GET', path: '/things/:id' },
      }),
      remove: operation({
        input: Type.Object({ id: Type.String() }),
        output: Type.Object({}),
        http: { method: 'DELETE', path: '/things/:id' },
      }),
      root: operation({
        input: Type.Object({}),
        output: Type.Object({}),
        http: { method: 'GET', path: '/' },
      }),
    },
  });
  const router = createRouter([V1, Things]);

  it('serves v1 and v2 side by side and prefers a literal segment to a parameter', () => {
    const at = (method: string, path: string) => {
      const m = router.match(method, path);
      return m.kind === 'route'
        ? `${m.route.contract.major}.${m.route.operation}(${m.params.join(',')})`
        : m.kind;
    };
    assert.equal(at('GET', '/v1/things/7'), '1.get(7)');
    assert.equal(at('GET', '/v2/things/mine'), '2.mine()');
    assert.equal(at('GET', '/v2/things/7/x'), '2.find(7,x)');
    assert.equal(at('GET', '/v2/things/mine/x'), '2.find(mine,x)', 'falls back to the parameter');
    assert.equal(at('POST', '/v2/things/7/touch'), '2.touch(7)');
    assert.equal(at('GET', '/v1'), '1.root()');
    assert.equal(at('GET', '/v1/things/'), 'none', 'a parameter is never empty');
    assert.equal(at('GET', '/v3/things/7'), 'none');
    assert.equal(at('GET', 'v1/things/7'), 'none');
  });

  it('lists the methods a known path takes', () => {
    assert.deepEqual(router.match('PUT', '/v1/things/7'), { kind: 'method', allow: 'DELETE, GET' });
    assert.deepEqual(router.match('POST', '/v2/things/mine'), { kind: 'method', allow: 'GET' });
  });

  it('refuses two services mapping the same route in one process', () => {
    const Other = contract({
      name: 'other',
      version: '1.0.0',
      operations: {
        get: operation({
          input: Type.Object({ key: Type.String() }),
          output: Type.Object({}),
          http: { method: 'GET', path: '/things/:key' },
        }),
      },
    });
    assert.throws(
      () => createRouter([V1, Other]),
      /GET \/v1\/things\/:key of other v1 get clashes with things v1 get/,
    );
  });
});
