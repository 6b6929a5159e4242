import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerAdapter } from '../../src/messaging/adapter.js';
import { deadLetterChannel, deadLetterGroup, deadLetterHeaders } from '../../src/messaging/bus/index.js';
import { decodeBody } from '../../src/messaging/bus/encoding.js';
import { seeded } from '../discovery/support.js';
import { chaosGroup, planFor, type Plan } from './contract.js';
import type { ChaosEngine } from './engines.js';
import { JournalReader } from './journal.js';
import { spawnChild, type Child } from './processes.js';
import { Progress } from './progress.js';
import { judge, type DeadLetter, type Verdict } from './verdict.js';

export interface ChaosOptions {
  readonly engine: ChaosEngine;
  readonly messages: number;
  /** Default 8. */
  readonly partitions?: number;
  /** Consumer processes alive at any time; default 3. */
  readonly consumers?: number;
  /** Mean time between two SIGKILLs (each 0.5–1.5 times it); default 4000 ms. */
  readonly killEveryMs?: number;
  /** Seeds the choice of victims and the kill times; default random (it is reported). */
  readonly seed?: number;
  /** How long nothing new may be handled before the run is declared stuck; default 3 minutes. */
  readonly stallMs?: number;
  readonly log?: (line: string) => void;
}

export interface ChaosReport {
  readonly engine: string;
  readonly seed: number;
  readonly plan: Omit<Plan, 'marked'> & { readonly marked: number };
  readonly published: number;
  readonly publishFailures: number;
  readonly publishErrors: Readonly<Record<string, number>>;
  readonly publishMs: number;
  readonly kills: number;
  /** When each engine restart began (messages published, handled) and how long it took. */
  readonly restarts: readonly { handled: number; published: number; ms: number }[];
  /** From the first publish until every message was handled and every dead letter was there. */
  readonly totalMs: number;
  /** Messages the group had not consumed at the end (duplicates from retried publishes), or why unknown. */
  readonly leftover: number | string;
  readonly malformedJournalLines: number;
  /** Set when the run stopped waiting because nothing was handled any more: what it waited for. */
  readonly stuck?: string;
  readonly verdict: Verdict;
}

/**
 * Publishes the plan's keyed commands from a publisher process to a group of consumer processes
 * while SIGKILLing a random consumer every few seconds (a replacement starts at once) and restarting
 * the engine, then waits until every message was handled and the marked ones were dead-lettered,
 * stops everything and judges what the journals and the dead-letter channel show. Waits on
 * conditions only; the run fails if nothing new is handled for `stallMs`.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { engine } = options;
  const log = options.log ?? (() => {});
  const plan = planFor(options.messages, options.partitions ?? 8);
  const seed = options.seed ?? randomBytes(4).readUInt32LE();
  const random = seeded(seed);
  const stallMs = options.stallMs ?? 180_000;
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-chaos-'));
  const contractName = `chaos-${randomBytes(4).toString('hex')}`;
  const channel = `${contractName}.commands`;
  const env = {
    ...engine.env,
    SWITCHYARD_CHAOS_ADAPTER: engine.childModule,
    SWITCHYARD_CHAOS_CONTRACT: contractName,
    SWITCHYARD_CHAOS_PARTITIONS: String(plan.partitions),
    SWITCHYARD_CHAOS_EPOCH: String(process.hrtime.bigint()),
  };
  const progress = new Progress(plan, new JournalReader(dir));
  const consumers: Child[] = [];
  const everyone: Child[] = [];
  let spawned = 0;
  const spawnConsumer = () => {
    const name = `c${++spawned}`;
    const child = spawnChild(name, './consumer.ts', {
      ...env,
      SWITCHYARD_CHAOS_JOURNAL: join(dir, `${name}.journal`),
    });
    everyone.push(child);
    return child;
  };

  let fatal: Error | undefined;
  let published = 0;
  let done: { sent: number; failures: number; errors: Record<string, number>; ms: number } | undefined;
  let stopChaos = false;
  let wakeChaos = () => {};
  let kills = 0;
  const restarts: { handled: number; published: number; ms: number }[] = [];

  let stuck: string | undefined;
  let restartingSince: number | undefined;
  let publishFailures = 0;
  let reporter: NodeJS.Timeout | undefined;
  /**
   * Polls the journals until `condition` holds. When nothing new was handled for `stallMs` it throws,
   * or with `judgeAnyway` notes what it waited for and returns, so the verdict says what is missing.
   */
  const until = async (
    condition: () => boolean | Promise<boolean>,
    what: () => string,
    judgeAnyway = false,
  ) => {
    for (;;) {
      await progress.poll();
      if (fatal) throw fatal;
      if (await condition()) return;
      if (Date.now() - progress.movedAt > stallMs) {
        const restarting = restartingSince
          ? `, the engine restarting for ${Date.now() - restartingSince} ms`
          : '';
        const message = `nothing handled for ${stallMs} ms while waiting for ${what()}${restarting}`;
        if (!judgeAnyway) throw new Error(`${engine.name}: ${message}`);
        stuck ??= message;
        return;
      }
      await sleep(250);
    }
  };

  const adapter = await engine.adapter();
  const dlq = deadLetterChannel(channel);
  let started = Date.now();
  try {
    await adapter.ensureChannel({ name: channel, partitions: plan.partitions, groups: [chaosGroup] });
    await adapter.ensureChannel({ name: dlq, partitions: 1, groups: [deadLetterGroup] });
    for (let i = 0; i < (options.consumers ?? 3); i++) consumers.push(spawnConsumer());
    await Promise.all(consumers.map((c) => c.line((l) => l === 'ready')));
    log(`${consumers.length} consumers ready; publishing ${progress.expected} messages (seed ${seed})`);

    started = Date.now();
    progress.movedAt = started;
    const publisher = spawnChild(
      'publisher',
      './publisher.ts',
      { ...env, SWITCHYARD_CHAOS_PLAN: JSON.stringify(plan) },
      (line) => {
        let event: { type: string; sent: number } & NonNullable<typeof done>;
        try {
          event = JSON.parse(line);
        } catch {
          return;
        }
        published = event.sent;
        publishFailures = event.failures;
        if (event.type === 'done') done = event;
      },
    );
    everyone.push(publisher);
    void publisher.exited.then(({ code, signal }) => {
      if (code !== 0) fatal ??= new Error(`the publisher exited (${code ?? signal}): ${publisher.stderr()}`);
    });

    const chaos = (async () => {
      while (!stopChaos) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, (options.killEveryMs ?? 4_000) * (0.5 + random()));
          wakeChaos = () => (clearTimeout(timer), resolve());
        });
        if (stopChaos) return;
        const i = Math.floor(random() * consumers.length);
        const victim = consumers[i]!;
        await victim.kill();
        kills++;
        consumers[i] = spawnConsumer();
      }
    })();
    chaos.catch((error: unknown) => (fatal ??= error as Error));

    // One restart while the publisher is busy (its sends fail and are retried), one while the
    // consumers work through the backlog (they reconnect, and what they held comes again).
    const restartWhen = [
      { condition: () => published >= progress.expected / 2 || done !== undefined, what: 'half published' },
      { condition: () => progress.handled >= (progress.expected * 2) / 3, what: 'two thirds handled' },
    ];
    const restarting = (async () => {
      for (const { condition, what } of restartWhen) {
        await until(
          condition,
          () => `${what} for a restart (${published} published, ${progress.handled} handled)`,
        );
        const at = { handled: progress.handled, published };
        log(`restarting the engine at ${at.published} published, ${at.handled} handled`);
        const t = Date.now();
        restartingSince = t;
        await engine.restart();
        restartingSince = undefined;
        restarts.push({ ...at, ms: Date.now() - t });
        log(`the engine is back after ${Date.now() - t} ms`);
      }
    })();
    restarting.catch((error: unknown) => (fatal ??= error as Error));

    reporter = setInterval(
      () =>
        log(
          `${published} published (${publishFailures} failed sends), ${progress.handled} handled, ${kills} kills, ${restarts.length} restarts`,
        ),
      15_000,
    );
    await until(
      () => done !== undefined,
      () => `the publisher (${published} sent)`,
    );
    await restarting;
    await until(
      () => progress.handled >= progress.expected * 0.9,
      () => `90% handled (${progress.handled})`,
      true,
    );
    stopChaos = true;
    wakeChaos();
    await chaos;
    await until(
      () => progress.handled === progress.expected,
      () => `every message handled (${progress.handled}, missing ${progress.missing()})`,
      true,
    );
    let letters: DeadLetter[] = [];
    await until(
      async () => {
        letters = await deadLetters(adapter, dlq);
        return new Set(letters.map((d) => `${d.key}:${d.seq}`)).size >= plan.marked.length;
      },
      () => `${plan.marked.length} dead letters (${letters.length} there)`,
      true,
    );
    const totalMs = Date.now() - started;
    await Promise.all(consumers.map((c) => c.stop()));
    await progress.poll();
    letters = await deadLetters(adapter, dlq);
    const leftover = await adapter
      .peek(channel, chaosGroup, { limit: 10_000 })
      .then((left) => left.length)
      .catch((error: unknown) => `unknown: ${String(error).slice(0, 200)}`);
    return {
      engine: engine.name,
      seed,
      plan: { ...plan, marked: plan.marked.length },
      published: done!.sent,
      publishFailures: done!.failures,
      publishErrors: done!.errors,
      publishMs: done!.ms,
      kills,
      restarts,
      totalMs,
      leftover,
      malformedJournalLines: progress.malformed,
      ...(stuck ? { stuck } : {}),
      verdict: judge(plan, progress.runs, letters),
    };
  } catch (error) {
    // The publisher and the consumers alive now; the killed ones said what their successors say.
    const tails = [...everyone.filter((c) => c.name === 'publisher'), ...consumers]
      .filter((c) => c.stderr().trim())
      .map((c) => `--- ${c.name}\n${c.stderr().slice(-800)}`)
      .join('\n');
    throw new Error(`${String(error)}\n${tails}`, { cause: error });
  } finally {
    clearInterval(reporter);
    stopChaos = true;
    wakeChaos();
    await Promise.all(everyone.map((c) => c.stop(5_000)));
    await adapter.deleteChannel(channel).catch(() => {});
    await adapter.deleteChannel(dlq).catch(() => {});
    await adapter.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/** Everything on the dead-letter channel, read without consuming it. */
async function deadLetters(adapter: BrokerAdapter, channel: string): Promise<DeadLetter[]> {
  const peeked = await adapter.peek(channel, deadLetterGroup, { limit: 10_000 });
  return peeked.map((m) => {
    const payload = decodeBody(m) as { key: string; seq: number };
    return { key: payload.key, seq: payload.seq, reason: m.headers[deadLetterHeaders.reason] ?? '' };
  });
}
