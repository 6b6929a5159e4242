import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContractDefinitionError, Type, command, contract, event, operation, validator } from './index.js';

const In = Type.Object({ id: Type.String() });
const Out = Type.Object({ ok: Type.Boolean() });

function rejects(define: () => unknown, pattern: RegExp) {
  assert.throws(define, (error: unknown) => {
    assert.ok(error instanceof ContractDefinitionError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

describe('contract definition', () => {
  it('accepts a valid contract and fills defaults (HTTP mapping, channels, proto package)', () => {
    const c = contract({
      name: 'billing-v',
      version: '2.1.0',
      operations: { charge: operation({ input: In, output: Out }) },
    });
    assert.deepEqual(c.operations.charge.http, { method: 'POST', path: '/charge' });
    assert.equal(c.major, 2);
    assert.equal(c.protoPackage, 'switchyard.billing_v.v2');
    assert.equal(c.operations.charge.idempotent, false);
  });

  it('rejects a name or version that is not valid', () => {
    rejects(() => contract({ name: 'Bad Name', version: '1.0.0' }), /name must be/);
    rejects(() => contract({ name: 'ok', version: '1.0' }), /not semver/);
  });

  it('rejects the same name used twice across operations, commands and events', () => {
    rejects(
      () =>
        contract({
          name: 'dup',
          version: '1.0.0',
          operations: { placed: operation({ input: In, output: Out }) },
          events: { placed: event({ payload: In }) },
        }),
      /event placed: duplicates the operation of that name/,
    );
  });

  it('rejects a path parameter that is not a required input property', () => {
    rejects(
      () =>
        contract({
          name: 'p',
          version: '1.0.0',
          operations: {
            get: operation({ input: In, output: Out, http: { method: 'GET', path: '/things/:thingId' } }),
          },
        }),
      /operation get: path parameter :thingId is not a property of the input schema/,
    );
    rejects(
      () =>
        contract({
          name: 'p',
          version: '1.0.0',
          operations: {
            get: operation({
              input: Type.Object({ id: Type.Optional(Type.String()) }),
              output: Out,
              http: { method: 'GET', path: '/things/:id' },
            }),
          },
        }),
      /must be a required input property/,
    );
  });

  it('rejects two operations on the same HTTP route', () => {
    rejects(
      () =>
        contract({
          name: 'r',
          version: '1.0.0',
          operations: {
            a: operation({ input: In, output: Out, http: { method: 'GET', path: '/x/:id' } }),
            b: operation({
              input: Type.Object({ key: Type.String() }),
              output: Out,
              http: { method: 'GET', path: '/x/:key' },
            }),
          },
        }),
      /clashes with operation a/,
    );
  });

  it('rejects schema constructs protobuf cannot carry, naming the property', () => {
    rejects(
      () =>
        contract({
          name: 'u',
          version: '1.0.0',
          operations: {
            op: operation({
              input: Type.Object({ value: Type.Union([Type.String(), Type.Number()]) }),
              output: Out,
            }),
          },
        }),
      /operation op: input.value: protobuf cannot carry unions/,
    );
    rejects(
      () =>
        contract({
          name: 'u',
          version: '1.0.0',
          operations: { op: operation({ input: Type.Object({ blob: Type.Any() }), output: Out }) },
        }),
      /input.blob: protobuf cannot carry schema kind Any/,
    );
    rejects(
      () =>
        contract({
          name: 'u',
          version: '1.0.0',
          operations: {
            op: operation({
              input: Type.Object({ grid: Type.Array(Type.Array(Type.Number())) }),
              output: Out,
            }),
          },
        }),
      /arrays of arrays/,
    );
  });

  it('rejects non-object inputs and unknown error codes', () => {
    rejects(
      () =>
        contract({
          name: 'o',
          version: '1.0.0',
          operations: { op: operation({ input: Type.String() as never, output: Out }) },
        }),
      /input must be a Type.Object/,
    );
    rejects(
      () =>
        contract({
          name: 'o',
          version: '1.0.0',
          operations: { op: operation({ input: In, output: Out, errors: ['NOPE' as never] }) },
        }),
      /unknown error code "NOPE"/,
    );
  });

  it('checks partition keys and deprecation dates', () => {
    rejects(
      () =>
        contract({
          name: 'k',
          version: '1.0.0',
          events: {
            e: event({ payload: Type.Object({ id: Type.Optional(Type.String()) }), partitionKey: 'id' }),
          },
        }),
      /partition key id must be a required payload property/,
    );
    rejects(
      () =>
        contract({
          name: 'k',
          version: '1.0.0',
          commands: { c: command({ payload: In, deprecated: { since: 'soon' } }) },
        }),
      /deprecated.since "soon" is not a date/,
    );
    rejects(
      () =>
        contract({ name: 'k', version: '1.0.0', deprecated: { since: '2026-05-01', sunset: '2026-01-01' } }),
      /sunset is before/,
    );
  });

  it('compiles a validator once per schema and validates standard formats', () => {
    const schema = Type.Object({
      at: Type.String({ format: 'date-time' }),
      id: Type.String({ format: 'uuid' }),
    });
    assert.equal(validator(schema), validator(schema));
    assert.ok(
      validator(schema).check({ at: '2026-11-23T10:00:00Z', id: '0192c4a4-7b1e-7cc3-8f00-2a4f4b5e6d7c' }),
    );
    const violations = validator(schema).violations({ at: 'yesterday', id: 'x' });
    assert.deepEqual(
      violations.map((v) => [v.path, v.rule]),
      [
        ['/at', 'format'],
        ['/id', 'format'],
      ],
    );
  });
});

describe('contract definition, property names', () => {
  it('rejects property names every JavaScript object inherits', () => {
    rejects(
      () =>
        contract({
          name: 'n',
          version: '1.0.0',
          events: { e: event({ payload: Type.Object({ constructor: Type.String() }) }) },
        }),
      /payload.constructor: the name constructor is reserved/,
    );
  });
});
