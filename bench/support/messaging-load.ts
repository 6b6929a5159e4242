/**
 * The three messaging measurements, each over several sides (Switchyard, the raw client, Moleculer)
 * in alternating rounds (A B C, C B A, …) after a warm-up of each, so machine noise falls on every
 * side alike; every figure is the median over a side's rounds.
 *
 * - publish: `inFlight` publishes outstanding, each awaiting its confirm; nobody consumes.
 * - flow (end to end): the same publishers while the side's consumer runs, with at most `window`
 *   messages published and not yet handled (so a slow consumer throttles the publishers instead of
 *   building a backlog); the figure is messages handled per second.
 * - latency: messages published at a fixed rate, open loop (on schedule, whatever the replies do);
 *   each is timed from its publish call to its handler.
 */
import { performance } from 'node:perf_hooks';
import { median, percentile } from '../measure.js';
import { cpuMeter, type CpuMeter } from './messaging-cpu.js';
import { sampleOf, type Sample } from './messaging-sample.js';

/** Called by a side's handler for each message, before the message is acknowledged. */
export type Receive = (sample: Sample) => void;

export interface OpenSide {
  /** Publishes one message; resolves once the engine confirmed it. */
  publish(sample: Sample): Promise<void>;
  /** Stops the consumer, removes what the side created on the engine, disconnects. */
  close(): Promise<void>;
}

export interface MessagingSide {
  readonly name: string;
  /** Opens on fresh names; with `receive`, a consumer runs and calls it for every message it handles. */
  open(receive?: Receive): Promise<OpenSide>;
}

export interface Timing {
  rounds: number;
  /** Per side per round. */
  durationMs: number;
  /** Per side, once, before the first round. */
  warmupMs: number;
}

export interface RateFigures {
  name: string;
  /** Median over rounds, messages per second. */
  rate: number;
  /** Each round's rate, in round order. */
  rates: number[];
  /** Median over rounds of the CPU time per message of this process, in µs. */
  clientUs: number;
  /** The same for the engine's server process, when it could be found. */
  engineUs: number | undefined;
}

interface RateRound {
  rate: number;
  clientUs: number;
  engineUs: number | undefined;
}

/** Where the engine's server listens, to find its process for CPU figures. */
export interface EngineOption {
  enginePort?: number;
}

export interface LatencyFigures {
  name: string;
  /** Medians over rounds of each round's percentile, in ms. */
  p50: number;
  p99: number;
  /** Messages timed over all rounds. */
  samples: number;
}

/** How long the messages still in the pipe after a round may take to arrive. */
const drainTimeoutMs = 60_000;

/** Runs `round(i, ms)` for every side: a warm-up each, then alternating rounds. */
async function alternate<T>(
  count: number,
  timing: Timing,
  round: (side: number, ms: number) => Promise<T>,
): Promise<T[][]> {
  for (let i = 0; i < count; i++) await round(i, timing.warmupMs);
  const results = Array.from({ length: count }, (): T[] => []);
  for (let r = 0; r < timing.rounds; r++) {
    const order = Array.from({ length: count }, (_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) results[i]!.push(await round(i, timing.durationMs));
  }
  return results;
}

/** Opens every side, runs `fn`, closes them all whatever happens; the first failure wins. */
async function withSides<T>(
  sides: readonly MessagingSide[],
  receivers: readonly Receive[] | undefined,
  fn: (open: OpenSide[]) => Promise<T>,
): Promise<T> {
  const open: OpenSide[] = [];
  const outcome = await (async () => {
    for (const [i, side] of sides.entries()) open.push(await side.open(receivers?.[i]));
    return fn(open);
  })().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const closed = await Promise.allSettled(open.map((s) => s.close()));
  if (!outcome.ok) throw outcome.error;
  const failed = closed.find((c): c is PromiseRejectedResult => c.status === 'rejected');
  if (failed) throw failed.reason;
  return outcome.value;
}

/** One side's consumer as the measurement sees it: what was sent, what arrived, waiting for more. */
class Inbox {
  sent = 0;
  received = 0;
  private waiters: (() => void)[] = [];
  onSample: (sample: Sample) => void = () => {};

  constructor(private readonly name: string) {}

  readonly receive: Receive = (sample) => {
    this.received++;
    this.onSample(sample);
    this.wake();
  };

  /** The next message to publish, stamped now. */
  sample(): Sample {
    return sampleOf(this.sent++, performance.now());
  }

  wake(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Resolves once everything sent has arrived, so the next round (of any side) starts with nothing
   * of this one still in the pipe; rejects when messages stop coming.
   */
  async drain(): Promise<void> {
    const deadline = performance.now() + drainTimeoutMs;
    while (this.received < this.sent) {
      const left = deadline - performance.now();
      if (left <= 0)
        throw new Error(`${this.name}: ${this.sent - this.received} of ${this.sent} messages never arrived`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.next(), new Promise((r) => (timer = setTimeout(r, Math.min(left, 1_000))))]);
      clearTimeout(timer);
    }
  }
}

/** Rounds of sides whose consumers run throughout; each round must end with `inbox.drain()`. */
function consumingRounds<T>(
  sides: readonly MessagingSide[],
  timing: Timing,
  round: (side: OpenSide, inbox: Inbox, ms: number) => Promise<T>,
): Promise<T[][]> {
  const inboxes = sides.map((side) => new Inbox(side.name));
  return withSides(
    sides,
    inboxes.map((inbox) => inbox.receive),
    (open) => alternate(sides.length, timing, (i, ms) => round(open[i]!, inboxes[i]!, ms)),
  );
}

function rates(sides: readonly MessagingSide[], rounds: RateRound[][]): RateFigures[] {
  return sides.map((side, i) => {
    const mine = rounds[i]!;
    const engine = mine.map((r) => r.engineUs).filter((e): e is number => e !== undefined);
    return {
      name: side.name,
      rate: median(mine.map((r) => r.rate)),
      rates: mine.map((r) => r.rate),
      clientUs: median(mine.map((r) => r.clientUs)),
      engineUs: engine.length === mine.length ? median(engine) : undefined,
    };
  });
}

/** A round's rate with the CPU its `messages` cost since `meter`'s last lap. */
function rateRound(meter: CpuMeter, rate: number, messages: number): RateRound {
  const cpu = meter.lap();
  const per = (ms: number) => (ms * 1000) / Math.max(1, messages);
  return {
    rate,
    clientUs: per(cpu.client),
    engineUs: cpu.engine === undefined ? undefined : per(cpu.engine),
  };
}

export async function measurePublish(
  sides: readonly MessagingSide[],
  options: Timing & EngineOption & { inFlight: number },
): Promise<RateFigures[]> {
  const rounds = await withSides(sides, undefined, (open) => {
    let seq = 0;
    const meter = cpuMeter(options.enginePort);
    return alternate(sides.length, options, async (i, ms) => {
      const side = open[i]!;
      meter.lap();
      const start = performance.now();
      const until = start + ms;
      let published = 0;
      const worker = async () => {
        while (performance.now() < until) {
          await side.publish(sampleOf(seq++, performance.now()));
          published++;
        }
      };
      await Promise.all(Array.from({ length: options.inFlight }, worker));
      return rateRound(meter, published / ((performance.now() - start) / 1000), published);
    });
  });
  return rates(sides, rounds);
}

export async function measureFlow(
  sides: readonly MessagingSide[],
  options: Timing & EngineOption & { inFlight: number; window: number },
): Promise<RateFigures[]> {
  const meter = cpuMeter(options.enginePort);
  const rounds = await consumingRounds(sides, options, async (side, inbox, ms) => {
    let stopped = false;
    meter.lap();
    const start = performance.now();
    const before = inbox.received;
    let handled = 0;
    let elapsed = 0;
    const timer = setTimeout(() => {
      handled = inbox.received - before;
      elapsed = performance.now() - start;
      stopped = true;
      inbox.wake();
    }, ms);
    const worker = async () => {
      while (!stopped) {
        if (inbox.sent - inbox.received >= options.window) await inbox.next();
        else await side.publish(inbox.sample());
      }
    };
    try {
      await Promise.all(Array.from({ length: options.inFlight }, worker));
    } finally {
      clearTimeout(timer);
    }
    await inbox.drain();
    return rateRound(meter, handled / (elapsed / 1000), inbox.received - before);
  });
  return rates(sides, rounds);
}

export async function measureLatency(
  sides: readonly MessagingSide[],
  options: Timing & { perSecond: number },
): Promise<LatencyFigures[]> {
  const rounds = await consumingRounds(sides, options, async (side, inbox, ms) => {
    const latencies: number[] = [];
    inbox.onSample = (sample) => latencies.push(performance.now() - sample.sentAt);
    const publishes: Promise<void>[] = [];
    const start = performance.now();
    let due = 0;
    for (let now = start; now < start + ms; now = performance.now()) {
      // Open loop: whatever is due by now goes out now, even if earlier publishes are unconfirmed.
      for (const until = Math.floor(((now - start) * options.perSecond) / 1000); due < until; due++) {
        const publish = side.publish(inbox.sample());
        // Handled now, judged after the round: an unhandled rejection would end the process.
        publish.catch(() => undefined);
        publishes.push(publish);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const failed = (await Promise.allSettled(publishes)).find((p) => p.status === 'rejected');
    if (failed) throw failed.reason;
    await inbox.drain();
    inbox.onSample = () => {};
    return latencies;
  });
  return sides.map((side, i) => ({
    name: side.name,
    p50: median(rounds[i]!.map((l) => percentile(l, 50))),
    p99: median(rounds[i]!.map((l) => percentile(l, 99))),
    samples: rounds[i]!.reduce((n, l) => n + l.length, 0),
  }));
}
