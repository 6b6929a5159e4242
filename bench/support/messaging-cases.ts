/**
 * The cases of one messaging engine: Switchyard's messaging layer against the raw client of the same
 * engine (goal: at least 80% of its throughput) and against `@moleculer/channels` (goal: faster), for
 * publish throughput, end-to-end throughput and end-to-end latency at a fixed rate.
 *
 * Each of the three measurements runs once per engine (all sides opened on fresh names, measured in
 * alternating rounds, closed and deleted) and feeds every case that reports from it.
 */
import os from 'node:os';
import type { BenchCase, BenchResult } from '../case.js';
import { spread } from '../measure.js';
import {
  measureFlow,
  measureLatency,
  measurePublish,
  type LatencyFigures,
  type MessagingSide,
  type RateFigures,
  type Timing,
} from './messaging-load.js';
import { messageBytes } from './messaging-sample.js';

export const settings = {
  /** Publishes outstanding at once, on every side, in the publish and end-to-end measurements. */
  publishInFlight: 64,
  /** Messages handled at once by a consumer: Switchyard's partitions and concurrency, raw prefetch, Moleculer's maxInFlight. */
  consumerInFlight: 16,
  /** End to end: most messages published and not yet handled. */
  window: 1024,
  /** Latency: messages per second, published on schedule. */
  perSecond: 1000,
};

const timing = {
  publish: { rounds: 5, durationMs: 1000, warmupMs: 1000 },
  flow: { rounds: 5, durationMs: 1500, warmupMs: 1500 },
  latency: { rounds: 3, durationMs: 3000, warmupMs: 1000 },
} satisfies Record<string, Timing>;

/** The raw client's throughput Switchyard must reach. */
export const rawGoal = 0.8;

export interface EngineBench {
  /** `embedded`, `RabbitMQ`, …: the first word of every case name. */
  label: string;
  group: string;
  switchyard: MessagingSide;
  raw: MessagingSide;
  rawName: string;
  moleculer?: { side: MessagingSide; name: string };
  /** Where the engine's server listens (for its CPU figures); absent for the embedded broker. */
  enginePort?: number;
}

type Measurement<T> = () => Promise<{ figures: T; load: string }>;

export interface Measured {
  publish: Measurement<RateFigures[]>;
  flow: Measurement<RateFigures[]>;
  latency: Measurement<LatencyFigures[]>;
}

/** Runs `fn` once, on first use, and notes the load average when it ended. */
function memo<T>(fn: () => Promise<T>): () => Promise<{ figures: T; load: string }> {
  let result: Promise<{ figures: T; load: string }> | undefined;
  return () => (result ??= fn().then((figures) => ({ figures, load: load() })));
}

const figure = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number) => `${value.toPrecision(3)} ms`;
const ratio = (value: number) => `${value >= 0.01 ? value.toFixed(2) : value.toPrecision(2)}x`;
/** The machine's 1-minute load average when a measurement ended: on a small shared machine it explains a lot. */
const load = () => `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`;
const cpu = (f: RateFigures) =>
  `${f.name} ${Math.round(f.clientUs)}${f.engineUs === undefined ? '' : ` + ${Math.round(f.engineUs)}`} µs`;
const bySide = <T extends { name: string }>(figures: T[], name: string): T => {
  const found = figures.find((f) => f.name === name);
  if (!found) throw new Error(`no figures for side ${name}`);
  return found;
};

export function engineCases(bench: EngineBench): { cases: BenchCase[]; measured: Measured } {
  const sides = [bench.switchyard, bench.raw, ...(bench.moleculer ? [bench.moleculer.side] : [])];
  const measured: Measured = {
    publish: memo(() =>
      measurePublish(sides, {
        ...timing.publish,
        enginePort: bench.enginePort,
        inFlight: settings.publishInFlight,
      }),
    ),
    flow: memo(() =>
      measureFlow(sides, {
        ...timing.flow,
        enginePort: bench.enginePort,
        inFlight: settings.publishInFlight,
        window: settings.window,
      }),
    ),
    latency: memo(() => measureLatency(sides, { ...timing.latency, perSecond: settings.perSecond })),
  };
  const { label, group } = bench;

  const rateCase = (kind: 'publish' | 'flow', name: string, against: 'raw' | 'moleculer'): BenchCase => ({
    name,
    group,
    unit: 'msg/s',
    higherIsBetter: true,
    goal:
      against === 'raw'
        ? { minRatio: rawGoal, description: `at least ${rawGoal * 100}% of the raw client's throughput` }
        : { minRatio: 1, description: "faster than Moleculer's @moleculer/channels on the same engine" },
    async run(): Promise<BenchResult> {
      const { figures, load } = await measured[kind]();
      const sy = bySide(figures, 'switchyard');
      const base = bySide(figures, against);
      const others = figures.filter((f) => f !== sy && f !== base);
      return {
        switchyard: sy.rate,
        baseline: base.rate,
        baselineName: against === 'raw' ? bench.rawName : bench.moleculer!.name,
        notes:
          `per-round ratio ${spread(sy.rates.map((r, i) => r / base.rates[i]!))}` +
          others.map((o) => `; ${o.name} ${figure(o.rate)} msg/s`).join('') +
          `; CPU per message, ${bench.enginePort ? 'bench process + engine' : 'bench process'}: ` +
          figures.map(cpu).join(', ') +
          `; ${load}.`,
      };
    },
  });

  const latencyCase = (p: 'p50' | 'p99'): BenchCase => ({
    name: `${label} ${p} latency at ${figure(settings.perSecond)} msg/s`,
    group,
    unit: 'ms',
    higherIsBetter: false,
    async run(): Promise<BenchResult> {
      const { figures, load } = await measured.latency();
      const sy = bySide(figures, 'switchyard');
      const raw = bySide(figures, 'raw');
      const moleculer = figures.find((f) => f.name === 'moleculer');
      return {
        switchyard: sy[p],
        baseline: raw[p],
        baselineName: bench.rawName,
        notes:
          `median of per-round ${p}s over ${sy.samples} messages` +
          (moleculer ? `; moleculer ${ms(moleculer[p])} (ratio ${ratio(moleculer[p] / sy[p])})` : '') +
          `; ${load}.`,
      };
    },
  });

  const cases: BenchCase[] = [
    rateCase('publish', `${label} publish msg/s, ${settings.publishInFlight} in flight`, 'raw'),
    rateCase('flow', `${label} end-to-end msg/s`, 'raw'),
    latencyCase('p50'),
    latencyCase('p99'),
  ];
  if (bench.moleculer)
    cases.push(
      rateCase('publish', `${label} publish msg/s vs Moleculer`, 'moleculer'),
      rateCase('flow', `${label} end-to-end msg/s vs Moleculer`, 'moleculer'),
    );
  return { cases, measured };
}

/** The group note: what is measured, how, and the engine's sides. */
export function engineAbout(engine: string, sides: string): string {
  return (
    `${engine} ${sides} Every side runs in the bench process, publisher and consumer alike, on names ` +
    `of its own created for the measurement and deleted after it. The message is a ${messageBytes}-byte ` +
    'JSON object (a sequence number, the publish time, padding) that each handler decodes; Switchyard ' +
    'publishes it as an event of a contract through `createMessaging(...).publish` (schema check, ' +
    'CloudEvents envelope as headers, JSON codec) and receives it through `subscribe` (decode, schema ' +
    'check, handler, ack), so its figures include the whole typed layer. Publish: ' +
    `${settings.publishInFlight} publishes in flight per side, each awaiting its confirm, nobody ` +
    'consuming (the group exists, so messages are stored for it). End to end: the same publishers ' +
    `while the consumer runs, with at most ${settings.window} messages published and not yet handled; ` +
    'the figure is messages handled per second. Consumers handle up to ' +
    `${settings.consumerInFlight} messages at once (Switchyard: ${settings.consumerInFlight} ` +
    `partitions, each one message in flight, and \`concurrency: ${settings.consumerInFlight}\`; raw: ` +
    `prefetch or max ack pending of ${settings.consumerInFlight}; Moleculer: \`maxInFlight: ` +
    `${settings.consumerInFlight}\`). Latency: ${figure(settings.perSecond)} messages per second ` +
    'published on schedule (open loop), each timed from its publish call to its handler. Throughput: ' +
    `${timing.flow.rounds} alternating rounds per side (publish ${timing.publish.durationMs / 1000} s, ` +
    `end to end ${timing.flow.durationMs / 1000} s) after a warm-up; latency: ${timing.latency.rounds} ` +
    `rounds of ${timing.latency.durationMs / 1000} s; figures are medians over rounds. The notes give ` +
    'the CPU time per message of the bench process and, ' +
    "where it can be found by its port, of the engine's server (which also counts anyone else using it): on a " +
    'small shared machine throughput follows whatever else runs, CPU per message much less, and it shows where ' +
    'the time goes.'
  );
}
