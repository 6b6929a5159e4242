import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from 'undici';
import { contract, operation, Type } from '../../contract/index.js';
import { createHost, defineService, type Transport } from '../../runtime/index.js';
import { staticEndpoint } from '../endpoint.js';
import { httpTransport } from '../http/transport.js';
import { runServiceProcess } from './run.js';

const Greeter = contract({
  name: 'greeter',
  version: '1.0.0',
  operations: {
    greet: operation({
      input: Type.Object({ name: Type.String() }),
      output: Type.Object({ text: Type.String() }),
    }),
  },
});
const Front = contract({
  name: 'front',
  version: '1.0.0',
  operations: {
    hello: operation({
      input: Type.Object({ name: Type.String() }),
      output: Type.Object({ text: Type.String() }),
    }),
  },
});

describe('runServiceProcess', () => {
  it('starts, registers, serves, and on stop deregisters before draining, then stops services', async () => {
    const events: string[] = [];
    let address = '';
    const greeter = defineService(Greeter, () => ({ greet: ({ name }) => ({ text: `hello ${name}` }) }), {
      stop: () => void events.push('service stopped'),
    });
    const process = await runServiceProcess({
      services: [greeter],
      handleSignals: false,
      log: (line) => events.push(line),
      registrar: {
        register: async (endpoints) =>
          void events.push(`registered ${endpoints.http === address || !address}`),
        async deregister() {
          // Not ready any more, but still taking new connections: the drain comes after.
          const ready = await fetch(`http://${address}/readyz`);
          const fresh = new Client(`http://${address}`); // a new connection: refused once draining
          const live = await fresh.request({ path: '/healthz', method: 'GET' });
          await live.body.dump();
          await fresh.close();
          events.push(`deregistered while readyz ${ready.status}, healthz ${live.statusCode}`);
        },
      },
    });
    address = process.endpoints.http!;
    assert.match(address, /^127\.0\.0\.1:\d+$/);
    const client = createHost({ transports: () => httpTransport({ endpoints: staticEndpoint(address) }) });
    assert.deepEqual(await client.client(Greeter).greet({ name: 'ada' }), { text: 'hello ada' });
    await client.close();
    await process.stop();
    assert.deepEqual(events, [
      'registered true',
      `greeter listening on http://${address}`,
      'deregistered while readyz 503, healthz 200',
      'greeter draining (grace 10000 ms)',
      'service stopped',
      'greeter stopped',
    ]);
  });

  it('asks the transport resolver once per service, not once per handler call', async () => {
    const greeter = await runServiceProcess({
      services: [defineService(Greeter, () => ({ greet: ({ name }) => ({ text: `hi ${name}` }) }))],
      handleSignals: false,
      log: () => {},
    });
    let resolved = 0;
    const front = await runServiceProcess({
      services: [
        defineService(Front, () => ({ hello: ({ name }, ctx) => ctx.client(Greeter).greet({ name }) })),
      ],
      handleSignals: false,
      log: () => {},
      transports: (c): Transport | undefined => {
        if (c.name !== 'greeter') return undefined;
        resolved++;
        return httpTransport({ endpoints: staticEndpoint(greeter.endpoints.http!) });
      },
    });
    const client = createHost({
      transports: () => httpTransport({ endpoints: staticEndpoint(front.endpoints.http!) }),
    });
    for (const name of ['a', 'b', 'c'])
      assert.deepEqual(await client.client(Front).hello({ name }), { text: `hi ${name}` });
    assert.equal(resolved, 1);
    await client.close();
    await front.stop();
    await greeter.stop();
  });
});
