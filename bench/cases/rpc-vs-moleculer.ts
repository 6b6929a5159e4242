/**
 * Switchyard's fastest remote call against Moleculer's remote call over its NATS transporter, at 64
 * calls in flight. Switchyard's HTTP and NATS transports are both measured in the same rounds as
 * Moleculer, and the higher of the two is the Switchyard figure.
 */
import { randomUUID } from 'node:crypto';
import { ServiceBroker } from 'moleculer';
import { httpTransport, natsTransport, staticEndpoint } from '../../src/rpc/index.js';
import type { BenchCase, BenchGroup, BenchResult } from '../case.js';
import { spread } from '../measure.js';
import { withServers } from '../support/child.js';
import { switchyardClient, type EchoClient } from '../support/clients.js';
import { checkEcho, inputSource, type Echo } from '../support/echo.js';
import { interleave } from '../support/load.js';

const group = 'rpc-vs-moleculer';
const nats = 'nats://127.0.0.1:4222';
const concurrency = 64;
const timing = { rounds: 5, durationMs: 1000, warmupMs: 750 };

/**
 * Moleculer's built-in equivalents of Switchyard's default client policies (`defaultResilience`):
 * a 10 s timeout per call, up to 3 attempts with exponential backoff from 25 ms to 1 s, a breaker
 * that opens at half the calls failing (once 20 were seen) for 5 s, and a bulkhead of 512 calls
 * with a queue of 2048. Switchyard's side runs with its defaults on, so Moleculer's does too.
 */
const moleculerResilience = {
  requestTimeout: 10_000,
  retryPolicy: { enabled: true, retries: 2, delay: 25, maxDelay: 1_000, factor: 2 },
  circuitBreaker: { enabled: true, threshold: 0.5, minRequestCount: 20, windowTime: 60, halfOpenTime: 5_000 },
  bulkhead: { enabled: true, concurrency: 512, maxQueueSize: 2048 },
};

async function moleculerClient(
  namespace: string,
): Promise<{ broker: ServiceBroker; echo: EchoClient['echo'] }> {
  const broker = new ServiceBroker({
    namespace,
    nodeID: `bench-client-${process.pid}`,
    transporter: nats,
    logger: false,
    metrics: false,
    tracing: false,
    ...moleculerResilience,
  });
  await broker.start();
  await broker.waitForServices(['echo'], 15_000);
  return { broker, echo: (input: Echo) => broker.call('echo.echo', input) };
}

async function run(): Promise<BenchResult> {
  const id = randomUUID().slice(0, 8);
  const prefix = `bench.${id}`;
  const namespace = `bench-${id}`;
  return withServers(
    [['switchyard-http'], ['switchyard-nats', { nats, subject: prefix }], ['moleculer', { nats, namespace }]],
    async ([http]) => {
      const viaHttp = switchyardClient(httpTransport({ endpoints: staticEndpoint(http!.address) }));
      const viaNats = switchyardClient(natsTransport({ servers: nats, subjectPrefix: prefix }));
      const moleculer = await moleculerClient(namespace);
      try {
        const next = inputSource();
        const probe = next();
        const invalid = { ...probe, count: -1 };
        for (const echo of [viaHttp.echo, viaNats.echo, moleculer.echo]) {
          checkEcho(probe, await echo(probe));
          const accepted = await echo(invalid).then(
            () => true,
            () => false,
          );
          if (accepted) throw new Error('an invalid input was accepted: validation is not on for every side');
        }
        const [h, n, m] = await interleave(
          [
            { name: 'HTTP', call: () => viaHttp.echo(next()) },
            { name: 'NATS', call: () => viaNats.echo(next()) },
            { name: 'moleculer', call: () => moleculer.echo(next()) },
          ],
          { ...timing, concurrency },
        );
        const fastest = h!.rate >= n!.rate ? h! : n!;
        const other = fastest === h ? n! : h!;
        const ratios = fastest.rates.map((r, i) => r / m!.rates[i]!);
        return {
          switchyard: fastest.rate,
          baseline: m!.rate,
          baselineName: `moleculer ${ServiceBroker.MOLECULER_VERSION} broker.call over its NATS transporter, its resilience on`,
          notes:
            `fastest Switchyard transport: ${fastest.name} (${other.name} ${Math.round(other.rate).toLocaleString('en-US')} ` +
            `calls/s, ratio ${(other.rate / m!.rate).toFixed(2)}x); per-round ratio ${spread(ratios)}; p99 ` +
            `${Math.round(fastest.p99)} µs vs ${Math.round(m!.p99)} µs.`,
        };
      } finally {
        await Promise.all([viaHttp.close(), viaNats.close(), moleculer.broker.stop()]);
      }
    },
  );
}

export const cases: BenchCase[] = [
  {
    name: `fastest remote call vs Moleculer, ${concurrency} in flight`,
    group,
    unit: 'calls/s',
    higherIsBetter: true,
    goal: { minRatio: 1.5, description: "at least 1.5x Moleculer's remote call rate over NATS" },
    run,
  },
];

export const groups: BenchGroup[] = [
  {
    name: group,
    about:
      `Remote calls with ${concurrency} in flight. Moleculer: two brokers in two processes (the server a ` +
      "child process, the caller in the bench process) with `transporter: 'nats://127.0.0.1:4222'`, a " +
      'unique namespace per run, `logger: false`, no metrics or tracing, and an `echo` action with a ' +
      'fastest-validator `params` schema equivalent to the contract (it validates the input only). The ' +
      "caller's broker has Moleculer's own equivalents of Switchyard's default client policies switched " +
      'on (`requestTimeout: 10000`, `retryPolicy` with 2 retries backing off from 25 ms to 1 s, ' +
      '`circuitBreaker` at a 0.5 failure rate over at least 20 calls, `bulkhead` of 512 calls and a queue ' +
      'of 2048), as Switchyard runs with its defaults. ' +
      'Switchyard: the same echo served by `createHttpServer` and by `createNatsServer` (each a child ' +
      'process), called through `httpTransport` and `natsTransport` with the default resilience policies ' +
      'and validation on (input and output). All three are measured in the same 5 alternating rounds of 1 s ' +
      'per side; the Switchyard figure is the faster transport, named in the notes.',
  },
];
