/**
 * In-process calls: what a call costs when caller and service share a host. Both sides do the same
 * trivial work (`respond`) in the same process and run, measured in alternating rounds.
 */
import { ServiceBroker, type Context as MoleculerContext } from 'moleculer';
import { Type, contract, operation, type Static } from '../../src/contract/index.js';
import { createHost, type Client } from '../../src/runtime/index.js';
import type { BenchCase, BenchGroup, BenchResult } from '../case.js';
import { compareAsync, spread, type CompareOptions } from '../measure.js';

const Item = Type.Object({ sku: Type.String({ minLength: 1 }), qty: Type.Integer({ minimum: 1 }) });
const EchoInput = Type.Object({
  name: Type.String({ minLength: 1 }),
  count: Type.Integer({ minimum: 0 }),
  urgent: Type.Boolean(),
  items: Type.Array(Item, { maxItems: 10 }),
});
const EchoOutput = Type.Object({
  greeting: Type.String(),
  count: Type.Integer(),
  urgent: Type.Boolean(),
  itemCount: Type.Integer(),
});
type EchoInput = Static<typeof EchoInput>;
type EchoOutput = Static<typeof EchoOutput>;

const EchoContract = contract({
  name: 'bench-echo',
  version: '1.0.0',
  operations: { echo: operation({ input: EchoInput, output: EchoOutput }) },
});

/** The same rules as EchoInput, in fastest-validator's language (Moleculer's default validator). */
const echoParams = {
  name: { type: 'string', min: 1 },
  count: { type: 'number', integer: true, min: 0 },
  urgent: { type: 'boolean' },
  items: {
    type: 'array',
    max: 10,
    items: {
      type: 'object',
      props: { sku: { type: 'string', min: 1 }, qty: { type: 'number', integer: true, min: 1 } },
    },
  },
};

/** The work every side does: build the response from the input. */
function respond(input: EchoInput): EchoOutput {
  return {
    greeting: `hello ${input.name}`,
    count: input.count + 1,
    urgent: input.urgent,
    itemCount: input.items.length,
  };
}

/** A few distinct inputs, used in turn, so no side sees one constant object. */
const inputs: EchoInput[] = Array.from({ length: 4 }, (_, i) => ({
  name: `caller-${i}`,
  count: i,
  urgent: i % 2 === 0,
  items: Array.from({ length: 3 }, (_, j) => ({ sku: `sku-${i}-${j}`, qty: j + 1 })),
}));
const nextInput = (() => {
  let i = 0;
  return () => inputs[i++ & 3]!;
})();

const rounds: CompareOptions = { rounds: 15, durationMs: 200, warmupMs: 500 };

function switchyardHost(validate: boolean) {
  const host = createHost({ name: 'bench', validate });
  host.implement(EchoContract, { echo: (input) => respond(input) });
  return host;
}

async function moleculerBroker(validate: boolean): Promise<ServiceBroker> {
  const broker = new ServiceBroker({
    logger: false,
    metrics: false,
    tracing: false,
    transporter: null,
    validator: validate,
  });
  broker.createService({
    name: 'svc',
    actions: {
      op: {
        params: echoParams,
        handler: (ctx: MoleculerContext<EchoInput>) => respond(ctx.params),
      },
    },
  });
  await broker.start();
  return broker;
}

/** Both sides must really validate, or the comparison says nothing. */
async function expectBothReject(client: Client<typeof EchoContract>, broker: ServiceBroker): Promise<void> {
  const invalid = { ...inputs[0]!, items: [{ sku: '', qty: 0 }] };
  const rejects = (call: () => Promise<unknown>) =>
    call().then(
      () => false,
      () => true,
    );
  if (!(await rejects(() => client.echo(invalid))) || !(await rejects(() => broker.call('svc.op', invalid))))
    throw new Error('an invalid input was accepted: validation is not on for both sides');
}

async function versusMoleculer(validate: boolean): Promise<BenchResult> {
  const host = switchyardHost(validate);
  const client = host.client(EchoContract);
  const broker = await moleculerBroker(validate);
  try {
    if (validate) await expectBothReject(client, broker);
    const result = await compareAsync(
      {
        switchyard: () => client.echo(nextInput()),
        baseline: () => broker.call('svc.op', nextInput()),
      },
      rounds,
    );
    return {
      switchyard: result.switchyard,
      baseline: result.baseline,
      baselineName: `moleculer ${ServiceBroker.MOLECULER_VERSION} broker.call, validator ${validate ? 'on' : 'off'}`,
      notes:
        `per-round ratio ${spread(result.roundRatios)}; sequential awaits.` +
        (validate ? ' Switchyard also validates the output; Moleculer validates params only.' : ''),
    };
  } finally {
    await broker.stop();
    await host.close();
  }
}

export const cases: BenchCase[] = [
  {
    name: 'inproc call, validation on',
    group: 'inproc',
    unit: 'calls/s',
    higherIsBetter: true,
    goal: { minRatio: 1.5, description: "at least 1.5x Moleculer's local call rate" },
    run: () => versusMoleculer(true),
  },
  {
    name: 'inproc call, validation off',
    group: 'inproc',
    unit: 'calls/s',
    higherIsBetter: true,
    goal: { minRatio: 1 / 3, description: 'within 3x of a plain `await fn(input)`' },
    async run() {
      const host = switchyardHost(false);
      const client = host.client(EchoContract);
      const plain = async (input: EchoInput): Promise<EchoOutput> => respond(input);
      try {
        const result = await compareAsync(
          { switchyard: () => client.echo(nextInput()), baseline: () => plain(nextInput()) },
          rounds,
        );
        return {
          switchyard: result.switchyard,
          baseline: result.baseline,
          baselineName: 'plain `await fn(input)`',
          notes: `per-round ratio ${spread(result.roundRatios)}; sequential awaits.`,
        };
      } finally {
        await host.close();
      }
    },
  },
  {
    name: 'inproc call, validation off, vs Moleculer',
    group: 'inproc',
    unit: 'calls/s',
    higherIsBetter: true,
    run: () => versusMoleculer(false),
  },
];

export const groups: BenchGroup[] = [
  {
    name: 'inproc',
    about:
      'A call to a service in the same host (`host.client(C).op(input)`), which Switchyard makes a plain ' +
      'function call through its interceptor chain. Each call is awaited before the next. The contract is ' +
      'a small echo (string, integer, boolean, array of 3 small objects) and both sides build the same ' +
      'response object. Moleculer runs with `logger: false`, no metrics, no tracing, no transporter; its ' +
      'validator is fastest-validator with an equivalent `params` schema.',
  },
];
