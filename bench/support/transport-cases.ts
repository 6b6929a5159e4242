/**
 * The cases of one transport: Switchyard's client (default resilience policies, validation on)
 * against a raw client of the same library, each calling its own server in its own process.
 * Calls per second at 1, 16 and 64 in flight; p50 and p99 latency at 1 and 16.
 *
 * One measurement per in-flight level (servers started, both sides measured in alternating rounds,
 * servers stopped) feeds the throughput case and the latency cases of that level, so latency and
 * throughput come from the same calls.
 */
import type { BenchCase, BenchResult } from '../case.js';
import { spread } from '../measure.js';
import { checkEcho, inputSource, type Echo } from './echo.js';
import { interleave, type LoadOptions, type SideFigures } from './load.js';

export interface EchoSides {
  switchyard: (input: Echo) => Promise<unknown>;
  baseline: (input: Echo) => Promise<unknown>;
  close(): Promise<void>;
}

export interface TransportBench {
  /** `HTTP`, `gRPC`, `NATS`: the first word of every case name. */
  label: string;
  group: string;
  baselineName: string;
  /** Starts both servers and both clients; `close` stops them all. */
  open(): Promise<EchoSides>;
}

/** The goal for every transport: at least 85% of the raw client's rate. */
export const rateGoal = 0.85;
/** …and at most this much added p99 latency. */
export const addedP99GoalUs = 500;

const timing: Omit<LoadOptions, 'concurrency'> = { rounds: 5, durationMs: 1000, warmupMs: 750 };

interface Measured {
  switchyard: SideFigures;
  baseline: SideFigures;
}

async function measure(bench: TransportBench, concurrency: number): Promise<Measured> {
  const sides = await bench.open();
  try {
    const next = inputSource();
    const probe = next();
    checkEcho(probe, await sides.switchyard(probe));
    checkEcho(probe, await sides.baseline(probe));
    const invalid = { ...probe, count: -1 };
    const accepted = await sides.switchyard(invalid).then(
      () => true,
      () => false,
    );
    if (accepted) throw new Error('Switchyard accepted an invalid input: validation is off');
    const [switchyard, baseline] = await interleave(
      [
        { name: 'switchyard', call: () => sides.switchyard(next()) },
        { name: 'baseline', call: () => sides.baseline(next()) },
      ],
      { ...timing, concurrency },
    );
    return { switchyard: switchyard!, baseline: baseline! };
  } finally {
    await sides.close();
  }
}

const µs = (value: number) => `${Math.round(value)} µs`;

export function transportCases(bench: TransportBench): BenchCase[] {
  const measured = new Map<number, Promise<Measured>>();
  const at = (concurrency: number) => {
    let m = measured.get(concurrency);
    if (!m) measured.set(concurrency, (m = measure(bench, concurrency)));
    return m;
  };

  const rateCase = (concurrency: number): BenchCase => ({
    name: `${bench.label} calls/s, ${concurrency} in flight`,
    group: bench.group,
    unit: 'calls/s',
    higherIsBetter: true,
    goal: {
      minRatio: rateGoal,
      description: `at least ${rateGoal * 100}% of the raw client's rate, default resilience policies on`,
    },
    async run(): Promise<BenchResult> {
      const { switchyard, baseline } = await at(concurrency);
      const ratios = switchyard.rates.map((r, i) => r / baseline.rates[i]!);
      return {
        switchyard: switchyard.rate,
        baseline: baseline.rate,
        baselineName: bench.baselineName,
        notes:
          `per-round ratio ${spread(ratios)}; p50 ${µs(switchyard.p50)} vs ${µs(baseline.p50)}, ` +
          `p99 ${µs(switchyard.p99)} vs ${µs(baseline.p99)}.`,
      };
    },
  });

  const latencyCase = (concurrency: number, p: 'p50' | 'p99'): BenchCase => ({
    name: `${bench.label} ${p} latency, ${concurrency} in flight`,
    group: bench.group,
    unit: 'µs',
    higherIsBetter: false,
    async run(): Promise<BenchResult> {
      const { switchyard, baseline } = await at(concurrency);
      const added = switchyard[p] - baseline[p];
      const verdict =
        p === 'p99'
          ? ` — goal: under ${addedP99GoalUs} µs: **${added < addedP99GoalUs ? 'met' : 'missed'}**`
          : '';
      return {
        switchyard: switchyard[p],
        baseline: baseline[p],
        baselineName: bench.baselineName,
        notes: `added ${p} ${µs(added)}${verdict}; median of per-round ${p}s.`,
      };
    },
  });

  return [
    rateCase(1),
    latencyCase(1, 'p50'),
    latencyCase(1, 'p99'),
    rateCase(16),
    latencyCase(16, 'p50'),
    latencyCase(16, 'p99'),
    rateCase(64),
  ];
}

/** The group note shared by the transport groups. */
export function transportAbout(what: string): string {
  return (
    `${what} Each side calls its own server, a child process started for the measurement and stopped ` +
    'after it; the bench process is only the client. The message is a small JSON object (5 fields: ' +
    'two strings, an integer, a boolean, a list of 3 strings) echoed back unchanged. Switchyard: a ' +
    'client of `createHost({ transports, interceptors: [resilienceInterceptor(defaultResilience)] })`, ' +
    'so the default timeout, circuit breaker, bulkhead and retry policies are on, and validation is on ' +
    'on both sides (input and output); the raw baseline decodes and re-encodes but validates nothing. ' +
    'Each in-flight level is one measurement of 5 alternating rounds of 1 s per side after 0.75 s of ' +
    'warm-up; throughput and latency come from the same calls, and every figure is the median over ' +
    `rounds (latency: of each round's percentile). Goals: calls/s at least ${rateGoal * 100}% of the raw ` +
    `figure, p99 at most ${addedP99GoalUs} µs above the raw p99 (the verdict is in the p99 notes).`
  );
}
