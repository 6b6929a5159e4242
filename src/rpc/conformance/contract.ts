import { contract, operation, Type } from '../../contract/index.js';

/** Every kind of value a contract can carry, for the round-trip case. */
export const Payload = Type.Object({
  text: Type.String(),
  count: Type.Integer(),
  ratio: Type.Number(),
  flag: Type.Boolean(),
  tags: Type.Array(Type.String()),
  nested: Type.Object({ label: Type.String(), items: Type.Array(Type.Object({ qty: Type.Integer() })) }),
  counts: Type.Record(Type.String(), Type.Integer()),
  note: Type.Optional(Type.String()),
  /** The handler waits this long before answering (for the concurrency case). */
  delayMs: Type.Optional(Type.Integer({ minimum: 0 })),
});

const Kind = Type.Union([Type.Literal('small'), Type.Literal('large')]);

const Item = Type.Object({
  id: Type.Integer(),
  name: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(Type.String())),
  active: Type.Optional(Type.Boolean()),
  kind: Type.Optional(Kind),
  filter: Type.Optional(Type.Object({ min: Type.Integer(), labels: Type.Array(Type.String()) })),
  count: Type.Optional(Type.Integer()),
});

/** What the server's context held during the call. */
export const Seen = Type.Object({
  id: Type.String(),
  correlationId: Type.String(),
  causationId: Type.Optional(Type.String()),
  traceparent: Type.String(),
  /** Absent without a deadline. */
  remainingMs: Type.Optional(Type.Number()),
  attempt: Type.Integer(),
  metadata: Type.Record(Type.String(), Type.String()),
});

/**
 * The contract every RPC transport serves in the conformance suite. Its operations use each HTTP
 * method and parameter style, so HTTP's mapping is exercised too; other transports ignore that part.
 */
export const ConformanceContract = contract({
  name: 'conformance',
  version: '1.0.0',
  operations: {
    echo: operation({ input: Payload, output: Payload, http: { method: 'POST', path: '/echo' } }),
    getItem: operation({
      input: Item,
      output: Item,
      http: { method: 'GET', path: '/items/:id' },
      idempotent: true,
    }),
    putItem: operation({
      input: Type.Object({ id: Type.String(), name: Type.String(), count: Type.Integer() }),
      output: Type.Object({ id: Type.String(), name: Type.String(), count: Type.Integer() }),
      http: { method: 'PUT', path: '/items/:id' },
      idempotent: true,
    }),
    removeItem: operation({
      input: Type.Object({ id: Type.Integer(), reason: Type.Optional(Type.String()) }),
      output: Type.Object({ removed: Type.Integer(), reason: Type.Optional(Type.String()) }),
      http: { method: 'DELETE', path: '/items/:id' },
      idempotent: true,
    }),
    fail: operation({
      input: Type.Object({ orderId: Type.String() }),
      output: Type.Object({}),
      errors: ['FAILED_PRECONDITION'],
    }),
    crash: operation({ input: Type.Object({}), output: Type.Object({}) }),
    badOutput: operation({ input: Type.Object({}), output: Type.Object({ total: Type.Integer() }) }),
    validated: operation({
      input: Type.Object({ name: Type.String({ minLength: 3 }), quantity: Type.Integer({ minimum: 1 }) }),
      output: Type.Object({ ok: Type.Boolean() }),
    }),
    inspect: operation({ input: Type.Object({}), output: Seen }),
    sleep: operation({
      input: Type.Object({ ms: Type.Integer({ minimum: 0 }) }),
      output: Type.Object({ slept: Type.Integer() }),
    }),
  },
});
