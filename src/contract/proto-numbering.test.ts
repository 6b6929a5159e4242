import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type, type TObject } from '@sinclair/typebox';
import { OrdersContract } from '../../test/fixtures/orders.contract.js';
import { contract, event, operation } from './define.js';
import { ContractDefinitionError } from './definition-error.js';
import { assignFieldNumbers, protoMessages, type ProtoNumbering } from './proto-numbering.js';

/** A user service whose `getUser` output and `userCreated` event change from version to version. */
function users(version: string, output: TObject, extra: { listUsers?: boolean; userCreated?: boolean } = {}) {
  return contract({
    name: 'users',
    version,
    operations: {
      getUser: operation({ input: Type.Object({ id: Type.String() }), output }),
      ...(extra.listUsers
        ? {
            listUsers: operation({
              input: Type.Object({ limit: Type.Integer() }),
              output: Type.Object({ ids: Type.Array(Type.String()) }),
            }),
          }
        : {}),
    },
    events:
      extra.userCreated === false
        ? {}
        : { userCreated: event({ payload: Type.Object({ id: Type.String(), name: Type.String() }) }) },
  });
}

describe('assignFieldNumbers', () => {
  it('numbers the fields of every message 1..n in declared order when there is no history', () => {
    const numbering = assignFieldNumbers(OrdersContract);
    for (const message of protoMessages(OrdersContract)) {
      const numbers = numbering.messages[message.name];
      assert.ok(numbers, message.name);
      assert.deepEqual(
        numbers.fields,
        Object.fromEntries(message.fields.map((field, i) => [field.name, i + 1])),
        message.name,
      );
      assert.deepEqual(numbers.reserved, []);
    }
    assert.deepEqual(numbering.messages.CreateOrderRequest?.fields, {
      consumerId: 1,
      restaurantId: 2,
      items: 3,
      note: 4,
      priority: 5,
    });
  });

  it('names messages after their place: <Op>Request/Response, <Cmd>Command/Reply, <Evt>Event, <Parent><Field>', () => {
    const names = Object.keys(assignFieldNumbers(OrdersContract).messages);
    for (const name of [
      'CreateOrderRequest',
      'CreateOrderRequestItems',
      'CreateOrderResponse',
      'CreateOrderResponseTotal',
      'GetOrderResponseItems',
      'CancelOrderResponse',
      'ApproveOrderCommand',
      'ApproveOrderReply',
      'NotifyConsumerCommand',
      'OrderCreatedEvent',
      'OrderCreatedEventTotal',
      'OrderApprovedEvent',
    ])
      assert.ok(names.includes(name), name);
    assert.ok(!names.includes('NotifyConsumerReply'), 'a one-way command has no reply message');
  });

  it('names the message of map values after the map field', () => {
    const c = contract({
      name: 'menus',
      version: '1.0.0',
      events: {
        menuRevised: event({
          payload: Type.Object({ dishes: Type.Record(Type.String(), Type.Object({ price: Type.Number() })) }),
        }),
      },
    });
    assert.deepEqual(assignFieldNumbers(c).messages.MenuRevisedEventDishes, {
      fields: { price: 1 },
      reserved: [],
    });
  });

  it('is deterministic and survives JSON (it is stored in snapshots)', () => {
    const numbering = assignFieldNumbers(OrdersContract);
    assert.deepEqual(assignFieldNumbers(OrdersContract), numbering);
    assert.deepEqual(JSON.parse(JSON.stringify(numbering)), numbering);
    const names = Object.keys(numbering.messages);
    assert.deepEqual(names, [...names].sort(), 'messages sorted by name');
  });

  it('keeps numbers, reserves removed ones and never reuses them across versions', () => {
    const v1 = users(
      '1.0.0',
      Type.Object({ id: Type.String(), name: Type.String(), email: Type.String(), age: Type.Integer() }),
    );
    // v2: email removed, name renamed to fullName (= removed + added), nickname added, listUsers new.
    const v2 = users(
      '1.1.0',
      Type.Object({
        id: Type.String(),
        fullName: Type.String(),
        age: Type.Integer(),
        nickname: Type.Optional(Type.String()),
      }),
      { listUsers: true },
    );
    // v3: email comes back (as a new field), nickname removed, the userCreated event dropped.
    const v3 = users(
      '1.2.0',
      Type.Object({ id: Type.String(), fullName: Type.String(), age: Type.Integer(), email: Type.String() }),
      {
        listUsers: true,
        userCreated: false,
      },
    );
    // v4: userCreated comes back with the same field names.
    const v4 = users(
      '1.3.0',
      Type.Object({ id: Type.String(), fullName: Type.String(), age: Type.Integer(), email: Type.String() }),
      {
        listUsers: true,
      },
    );

    const n1 = assignFieldNumbers(v1);
    const n2 = assignFieldNumbers(v2, n1);
    const n3 = assignFieldNumbers(v3, n2);
    const n4 = assignFieldNumbers(v4, n3);

    assert.deepEqual(n1.messages.GetUserResponse, {
      fields: { id: 1, name: 2, email: 3, age: 4 },
      reserved: [],
    });
    assert.deepEqual(n2.messages.GetUserResponse, {
      fields: { id: 1, age: 4, fullName: 5, nickname: 6 },
      reserved: [2, 3],
    });
    assert.deepEqual(
      n2.messages.ListUsersRequest,
      { fields: { limit: 1 }, reserved: [] },
      'a new message starts at 1',
    );
    assert.deepEqual(n2.messages.GetUserRequest, n1.messages.GetUserRequest);
    assert.deepEqual(n3.messages.GetUserResponse, {
      fields: { id: 1, age: 4, fullName: 5, email: 7 },
      reserved: [2, 3, 6],
    });
    assert.deepEqual(
      n3.messages.UserCreatedEvent,
      { fields: {}, reserved: [1, 2] },
      'a vanished message keeps its numbers',
    );
    assert.deepEqual(n4.messages.UserCreatedEvent, { fields: { id: 3, name: 4 }, reserved: [1, 2] });
    assert.deepEqual(n4.messages.GetUserResponse, n3.messages.GetUserResponse);

    assertNeverReused([n1, n2, n3, n4]);
  });

  it('skips the range protobuf reserves for itself (19000–19999)', () => {
    const c = users('1.1.0', Type.Object({ id: Type.String(), extra: Type.String() }));
    const previous: ProtoNumbering = {
      messages: { GetUserResponse: { fields: { id: 1 }, reserved: [18999] } },
    };
    assert.deepEqual(assignFieldNumbers(c, previous).messages.GetUserResponse, {
      fields: { id: 1, extra: 20000 },
      reserved: [18999],
    });
  });

  it('drops a vanished message that never had a number', () => {
    const c = users('1.1.0', Type.Object({ id: Type.String() }));
    const previous: ProtoNumbering = { messages: { GoneEvent: { fields: {}, reserved: [] } } };
    assert.equal(assignFieldNumbers(c, previous).messages.GoneEvent, undefined);
  });

  it('rejects, where the contract is defined, messages or fields that would meet in protobuf', () => {
    assert.throws(
      () =>
        contract({
          name: 'clash',
          version: '1.0.0',
          operations: {
            get: operation({
              input: Type.Object({ event: Type.Object({ id: Type.String() }) }),
              output: Type.Object({}),
            }),
          },
          events: { getRequest: event({ payload: Type.Object({ id: Type.String() }) }) },
        }),
      (e) => e instanceof ContractDefinitionError && /GetRequestEvent/.test(e.message),
    );
    assert.throws(
      () =>
        contract({
          name: 'json-names',
          version: '1.0.0',
          events: {
            happened: event({ payload: Type.Object({ foo_bar: Type.String(), fooBar: Type.String() }) }),
          },
        }),
      /same protobuf JSON name/,
    );
  });
});

/** Across a release line: a number means one field name, forever, and reserved numbers stay reserved. */
function assertNeverReused(versions: ProtoNumbering[]) {
  const meaning = new Map<string, string>();
  const reservedSoFar = new Map<string, Set<number>>();
  for (const numbering of versions)
    for (const [message, { fields, reserved }] of Object.entries(numbering.messages)) {
      const before = reservedSoFar.get(message) ?? new Set<number>();
      for (const number of before)
        assert.ok(reserved.includes(number), `${message}: reserved ${number} dropped`);
      for (const [field, number] of Object.entries(fields)) {
        assert.ok(!reserved.includes(number), `${message}.${field}: ${number} is reserved`);
        assert.ok(number < 19000 || number > 19999);
        const key = `${message}#${number}`;
        assert.equal(meaning.get(key) ?? field, field, `${message}: ${number} reused for ${field}`);
        meaning.set(key, field);
      }
      reservedSoFar.set(message, new Set(reserved));
    }
}
