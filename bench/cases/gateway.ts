/**
 * The API gateway against other HTTP hops, side by side in one run at 10 and 100 connections, the
 * echo backend in its own process: the client straight to the backend; a minimal node:http + undici
 * proxy; @fastify/http-proxy; the Switchyard gateway with no policies, and with JWT auth, rate limit
 * and validation on; and moleculer-web calling an action on another node over NATS.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { BenchCase, BenchGroup, BenchResult } from '../case.js';
import { median, spread } from '../measure.js';
import { startServer } from '../support/child.js';
import { checkEcho, inputSource } from '../support/echo.js';
import { startGatewayServer } from '../support/gateway-child.js';
import { echoTarget, pacedLatency, type EchoTarget } from '../support/gateway-load.js';
import { interleave, type SideFigures } from '../support/load.js';

const group = 'gateway';
const nats = 'nats://127.0.0.1:4222';
const timing = { rounds: 5, durationMs: 1000, warmupMs: 750 };
const pacedRounds = 4;
const pacedRoundMs = 1500;

interface Latency {
  p50: number;
  p99: number;
}

const medianOf = (rounds: readonly Latency[]): Latency => ({
  p50: median(rounds.map((r) => r.p50)),
  p99: median(rounds.map((r) => r.p99)),
});
const sideNames = ['direct', 'minimal', 'fastify', 'gateway', 'gateway-policies', 'moleculer-web'] as const;
type Side = (typeof sideNames)[number];

interface Measured {
  figures: Record<Side, SideFigures>;
  /** At half the no-policy gateway's peak rate (10 connections only). */
  paced?: { rate: number; direct: Latency; gateway: Latency };
}

async function measure(connections: number): Promise<Measured> {
  const secret = randomUUID();
  const namespace = `bench-gw-${randomUUID().slice(0, 8)}`;
  const backend = await startGatewayServer('echo-backend');
  const servers = await Promise.all([
    startGatewayServer('minimal-proxy', { backend: backend.address }),
    startGatewayServer('fastify-proxy', { backend: backend.address }),
    startGatewayServer('switchyard-gateway', { backend: backend.address }),
    startGatewayServer('switchyard-gateway-policies', { backend: backend.address, secret }),
    startServer('moleculer', { nats, namespace }),
  ]);
  const web = await startGatewayServer('moleculer-web', { nats, namespace });
  const [minimal, fastify, gateway, policies] = servers;
  const token = await new SignJWT({ sub: 'bench-client', scope: 'echo' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('bench')
    .setAudience('bench-api')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
  const targets: Record<Side, EchoTarget> = {
    direct: echoTarget(backend.address, connections),
    minimal: echoTarget(minimal!.address, connections),
    fastify: echoTarget(fastify!.address, connections),
    gateway: echoTarget(gateway!.address, connections),
    'gateway-policies': echoTarget(policies!.address, connections, { authorization: `Bearer ${token}` }),
    'moleculer-web': echoTarget(web.address, connections),
  };
  try {
    const next = inputSource();
    const probe = next();
    for (const side of sideNames) checkEcho(probe, await targets[side].call(probe));
    // The side with policies must really check: no token, and an invalid body with a token, are refused.
    const anonymous = echoTarget(policies!.address, 1);
    const refusals = await Promise.all([
      anonymous.call(probe).then(
        () => false,
        () => true,
      ),
      targets['gateway-policies'].call({ ...probe, count: -1 }).then(
        () => false,
        () => true,
      ),
    ]);
    await anonymous.close();
    if (!refusals.every(Boolean))
      throw new Error('the gateway with policies let through what it must refuse');
    const results = await interleave(
      sideNames.map((name) => ({ name, call: () => targets[name].call(next()) })),
      { ...timing, concurrency: connections },
    );
    const figures = Object.fromEntries(results.map((r) => [r.name, r])) as Record<Side, SideFigures>;
    if (connections !== 10) return { figures };
    const rate = Math.round(figures.gateway.rate / 2);
    // Alternating rounds, the median of each side's: one scheduling stall on a busy machine moves a
    // single round's p99 by milliseconds.
    const rounds = { direct: [] as Latency[], gateway: [] as Latency[] };
    for (let r = 0; r < pacedRounds; r++) {
      const order = r % 2 === 0 ? (['direct', 'gateway'] as const) : (['gateway', 'direct'] as const);
      for (const side of order)
        rounds[side].push(await pacedLatency(() => targets[side].call(next()), rate, pacedRoundMs));
    }
    return { figures, paced: { rate, direct: medianOf(rounds.direct), gateway: medianOf(rounds.gateway) } };
  } finally {
    await Promise.all(sideNames.map((side) => targets[side].close()));
    await web.stop();
    await Promise.all(servers.map((s) => s.stop()));
    await backend.stop();
  }
}

const measured = new Map<number, Promise<Measured>>();
const at = (connections: number) => {
  let m = measured.get(connections);
  if (!m) measured.set(connections, (m = measure(connections)));
  return m;
};

const names: Record<Side, string> = {
  direct: 'client → backend directly',
  minimal: 'minimal node:http + undici proxy',
  fastify: `@fastify/http-proxy`,
  gateway: 'Switchyard gateway, no policies',
  'gateway-policies': 'Switchyard gateway, JWT + rate limit + validation',
  'moleculer-web': 'moleculer-web → NATS → action on another node',
};

const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;

function ratioCase(options: {
  connections: number;
  side: Side;
  baseline: Side;
  goal?: { minRatio: number; description: string };
}): BenchCase {
  const { connections, side, baseline } = options;
  return {
    name: `${names[side]} vs ${names[baseline]}, ${connections} connections`,
    group,
    unit: 'requests/s',
    higherIsBetter: true,
    ...(options.goal ? { goal: options.goal } : {}),
    async run(): Promise<BenchResult> {
      const { figures } = await at(connections);
      const ours = figures[side];
      const theirs = figures[baseline];
      const others = sideNames
        .filter((s) => s !== side && s !== baseline)
        .map((s) => `${s} ${rate(figures[s].rate)}`)
        .join(', ');
      return {
        switchyard: ours.rate,
        baseline: theirs.rate,
        baselineName: names[baseline],
        notes:
          `per-round ratio ${spread(ours.rates.map((r, i) => r / theirs.rates[i]!))}; p99 ${Math.round(ours.p99)} µs vs ` +
          `${Math.round(theirs.p99)} µs; same run: ${others}.`,
      };
    },
  };
}

const p99Goal = 2000;

export const cases: BenchCase[] = [10, 100].flatMap((connections) => [
  ratioCase({ connections, side: 'gateway', baseline: 'direct' }),
  ratioCase({ connections, side: 'minimal', baseline: 'direct' }),
  ratioCase({
    connections,
    side: 'gateway',
    baseline: 'minimal',
    goal: { minRatio: 0.9, description: 'at least 90% of the minimal node:http + undici proxy' },
  }),
  ratioCase({
    connections,
    side: 'gateway',
    baseline: 'fastify',
    goal: { minRatio: 1.5, description: 'at least 1.5x @fastify/http-proxy' },
  }),
  ratioCase({
    connections,
    side: 'gateway-policies',
    baseline: 'fastify',
    goal: {
      minRatio: 1.2,
      description: 'with JWT, rate limit and validation on, at least 1.2x @fastify/http-proxy',
    },
  }),
  ratioCase({
    connections,
    side: 'gateway',
    baseline: 'moleculer-web',
    goal: { minRatio: 1.5, description: 'at least 1.5x moleculer-web over NATS' },
  }),
  ...(connections === 10
    ? [
        {
          name: 'Switchyard gateway p99 at half its peak rate, vs direct',
          group,
          unit: 'µs',
          higherIsBetter: false,
          async run(): Promise<BenchResult> {
            const { paced } = await at(10);
            const added = paced!.gateway.p99 - paced!.direct.p99;
            return {
              switchyard: paced!.gateway.p99,
              baseline: paced!.direct.p99,
              baselineName: 'client → backend directly, same rate',
              notes:
                `open-loop load at ${rate(paced!.rate)} (half the no-policy gateway's peak at 10 connections), ${pacedRounds} alternating rounds of ${pacedRoundMs / 1000} s per side, medians; ` +
                `added p99 ${Math.round(added)} µs — goal: under ${p99Goal} µs: **${added < p99Goal ? 'met' : 'missed'}**; ` +
                `p50 ${Math.round(paced!.gateway.p50)} µs vs ${Math.round(paced!.direct.p50)} µs.`,
            };
          },
        } satisfies BenchCase,
      ]
    : []),
]);

export const groups: BenchGroup[] = [
  {
    name: group,
    about:
      'HTTP hops in front of one echo backend (node:http, parses and re-serializes a small JSON object), ' +
      'each hop a child process, the bench process only the client (an undici Pool with one keep-alive ' +
      'connection per request in flight, `POST /v1/echo`). Minimal proxy: node:http reading the body and one ' +
      'undici request per request (128 connections to the backend). @fastify/http-proxy with its defaults. ' +
      'Switchyard gateway: the echo contract route from `switchyard gateway` with static discovery and the ' +
      'default resilience policies (timeout, breaker, bulkhead, retries of idempotent calls), access log off; ' +
      '"no policies" means validation, authentication and rate limiting off; the second gateway verifies an ' +
      'HS256 JWT, takes from an in-memory GCRA limit and validates the body against the contract. ' +
      'moleculer-web 0.10: an ApiGateway service aliasing `POST /v1/echo` to `echo.echo`, an action on a ' +
      'second broker (child process) reached over the NATS transporter, with fastest-validator params. All six ' +
      'sides are measured in the same 5 alternating rounds of 1 s after 0.75 s of warm-up, per connection count.',
  },
];
