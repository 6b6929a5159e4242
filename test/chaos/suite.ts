import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ChaosEngine } from './engines.js';
import { runChaos, type ChaosReport } from './run.js';

/** How many messages a run publishes: SWITCHYARD_CHAOS_MESSAGES, else the engine's default. */
export function messageCount(fallback: number): number {
  const raw = process.env.SWITCHYARD_CHAOS_MESSAGES;
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`SWITCHYARD_CHAOS_MESSAGES must be a positive integer, not ${raw}`);
  return n;
}

export interface ChaosCase {
  /** Starts a private engine instance, which the run restarts; the case stops it. */
  start(): Promise<ChaosEngine>;
  /** The count CI publishes on this engine (see docs/messaging-chaos.md for the measurements). */
  messages: number;
}

/** The chaos run on one engine, as one test: it fails on any lost, reordered or wrongly dead-lettered message. */
export function describeChaos(name: string, chaosCase: ChaosCase): void {
  const messages = messageCount(chaosCase.messages);
  it(
    `chaos on ${name}: ${messages} keyed messages, consumers SIGKILLed, engine restarted`,
    { timeout: 30 * 60_000 },
    async () => {
      const log = (line: string) => console.error(`[chaos ${name}] ${line}`);
      const engine = await chaosCase.start();
      let report: ChaosReport;
      try {
        const seed = process.env.SWITCHYARD_CHAOS_SEED;
        report = await runChaos({ engine, messages, log, ...(seed ? { seed: Number(seed) } : {}) });
      } finally {
        await engine.stop();
      }
      log(summary(report));
      const { verdict } = report;
      for (const [what, problem] of Object.entries(verdict.problems))
        assert.equal(problem.count, 0, `${what}: ${problem.count}, e.g. ${problem.sample.join('; ')}`);
      assert.equal(report.malformedJournalLines, 0, 'journal lines that do not parse');
      assert.equal(report.stuck, undefined, 'the run got stuck');
      assert.equal(verdict.handled, verdict.expected - report.plan.marked);
      assert.ok(report.kills > 0, 'no consumer was killed');
      assert.equal(report.restarts.length, 2, 'engine restarts');
    },
  );
}

export function summary(r: ChaosReport): string {
  const v = r.verdict;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return [
    `${r.plan.keys} keys × ${r.plan.perKey} on ${r.plan.partitions} partitions, seed ${r.seed}`,
    `published ${r.published} in ${s(r.publishMs)} (${r.publishFailures} failed sends retried: ${JSON.stringify(r.publishErrors)})`,
    `handled ${v.handled} + ${r.plan.marked} marked, ${v.runs} handler runs, ${v.duplicates} duplicates, max delivery count ${v.maxDeliveryCount}`,
    `dead letters ${v.deadLetters} (${v.duplicateDeadLetters} repeated), leftover ${r.leftover}, overlapping runs ${v.overlaps}`,
    `${r.kills} consumers SIGKILLed, engine restarts ${r.restarts.map((x) => `at ${x.published} published/${x.handled} handled (${s(x.ms)})`).join(', ')}`,
    `all handled in ${s(r.totalMs)}`,
  ].join('; ');
}
