import { keyName, type Plan } from './contract.js';
import type { Run } from './journal.js';

/** A dead letter as read back from `<channel>.dlq`. */
export interface DeadLetter {
  readonly key: string;
  readonly seq: number;
  readonly reason: string;
}

export interface Verdict {
  /** Messages in the plan. */
  readonly expected: number;
  /** Distinct messages whose handler succeeded at least once. */
  readonly handled: number;
  /** Handler runs recorded, failed ones included. */
  readonly runs: number;
  /** Successful runs beyond the first of each message (at-least-once at work). */
  readonly duplicates: number;
  readonly maxDeliveryCount: number;
  /** Pairs of runs of one partition by two processes overlapping in time (two owners at once). */
  readonly overlaps: number;
  readonly deadLetters: number;
  readonly duplicateDeadLetters: number;
  /** Everything below must be empty; each lists at most `sample` entries, after the total. */
  readonly problems: {
    /** Unmarked messages no handler run succeeded for. */
    readonly missing: Problem;
    /** Runs of messages not in the plan, and successful runs of messages marked to fail. */
    readonly unexpected: Problem;
    /** A message first handled before the previous message of its key was handled once. */
    readonly outOfOrder: Problem;
    /** A message handled again after the next message of its key had started (so after its ack). */
    readonly rewinds: Problem;
    readonly unexpectedDeadLetters: Problem;
    readonly missingDeadLetters: Problem;
  };
}

export interface Problem {
  readonly count: number;
  readonly sample: readonly string[];
}

const sampleSize = 10;

class Tally {
  count = 0;
  readonly sample: string[] = [];
  add(what: string) {
    if (this.count++ < sampleSize) this.sample.push(what);
  }
  get problem(): Problem {
    return { count: this.count, sample: this.sample };
  }
}

/**
 * Judges a chaos run from the journals of every consumer process and the dead letters, against the
 * plan. At least once: every unmarked message has a successful run. Per-key order, precisely: for
 * every key and every seq ≥ 1, the first run of seq starts after the earliest end of a run of
 * seq − 1 (no message handled before the previous one of its key was handled at least once); and no
 * run of seq starts after the first run of seq + 1 started: seq + 1 is delivered only once seq is
 * acknowledged, so a later run of seq would be a replay from before the acknowledged point (a crash
 * may replay the one message in flight, never an acknowledged one). Dead letters: exactly the marked
 * messages, each at least once.
 */
export function judge(plan: Plan, runs: readonly Run[], deadLetters: readonly DeadLetter[]): Verdict {
  const { keys, perKey } = plan;
  const marked = new Set(plan.marked);
  const size = keys * perKey;
  const firstStart = new Float64Array(size).fill(Infinity);
  const firstEnd = new Float64Array(size).fill(Infinity);
  const succeeded = new Uint32Array(size);
  const unexpected = new Tally();
  const index = (key: string, seq: number): number | undefined => {
    const k = /^k(\d+)$/.exec(key) ? Number(key.slice(1)) : NaN;
    return Number.isInteger(k) && k < keys && Number.isInteger(seq) && seq >= 0 && seq < perKey
      ? k * perKey + seq
      : undefined;
  };

  let maxDeliveryCount = 0;
  const valid: { run: Run; at: number }[] = [];
  for (const run of runs) {
    const at = index(run.key, run.seq);
    if (at === undefined || keyName(Math.floor(at / perKey)) !== run.key) {
      unexpected.add(`${run.key}:${run.seq} is not in the plan`);
      continue;
    }
    if (run.ok && marked.has(`${run.key}:${run.seq}`))
      unexpected.add(`${run.key}:${run.seq} is marked to fail but its handler succeeded`);
    valid.push({ run, at });
    maxDeliveryCount = Math.max(maxDeliveryCount, run.deliveryCount);
    firstStart[at] = Math.min(firstStart[at]!, run.start);
    firstEnd[at] = Math.min(firstEnd[at]!, run.end);
    if (run.ok) succeeded[at]!++;
  }

  const missing = new Tally();
  const outOfOrder = new Tally();
  let handled = 0;
  let duplicates = 0;
  for (let k = 0; k < keys; k++)
    for (let s = 0; s < perKey; s++) {
      const at = k * perKey + s;
      const name = `${keyName(k)}:${s}`;
      if (succeeded[at]! > 0) {
        handled++;
        duplicates += succeeded[at]! - 1;
      } else if (!marked.has(name)) missing.add(name);
      if (s > 0 && firstStart[at]! !== Infinity && !(firstStart[at]! > firstEnd[at - 1]!))
        outOfOrder.add(
          firstEnd[at - 1] === Infinity
            ? `${name} was handled, ${s - 1} never`
            : `${name} started ${((firstEnd[at - 1]! - firstStart[at]!) / 1e6).toFixed(3)} ms before ${s - 1} was first handled`,
        );
    }

  const rewinds = new Tally();
  for (const { run, at } of valid)
    if (run.seq + 1 < perKey && run.start > firstStart[at + 1]!)
      rewinds.add(
        `${run.key}:${run.seq} ran again (${run.member}, delivery ${run.deliveryCount}) after ${run.seq + 1} had started`,
      );

  const unexpectedDeadLetters = new Tally();
  const lettered = new Set<string>();
  for (const d of deadLetters) {
    const name = `${d.key}:${d.seq}`;
    if (!marked.has(name)) unexpectedDeadLetters.add(`${name} (${d.reason})`);
    else if (d.reason !== 'handler-failed')
      unexpectedDeadLetters.add(`${name} for ${d.reason}, not handler-failed`);
    lettered.add(name);
  }
  const missingDeadLetters = new Tally();
  for (const name of marked) if (!lettered.has(name)) missingDeadLetters.add(name);

  return {
    expected: size,
    handled,
    runs: runs.length,
    duplicates,
    maxDeliveryCount,
    overlaps: overlaps(valid.map((v) => v.run)),
    deadLetters: deadLetters.length,
    duplicateDeadLetters: deadLetters.length - lettered.size,
    problems: {
      missing: missing.problem,
      unexpected: unexpected.problem,
      outOfOrder: outOfOrder.problem,
      rewinds: rewinds.problem,
      unexpectedDeadLetters: unexpectedDeadLetters.problem,
      missingDeadLetters: missingDeadLetters.problem,
    },
  };
}

/** Runs of one partition by different processes that overlap in time. */
function overlaps(runs: readonly Run[]): number {
  const byPartition = new Map<number, Run[]>();
  for (const r of runs) {
    const list = byPartition.get(r.partition);
    if (list) list.push(r);
    else byPartition.set(r.partition, [r]);
  }
  let count = 0;
  for (const list of byPartition.values()) {
    list.sort((a, b) => a.start - b.start);
    let latest: Run | undefined;
    for (const r of list) {
      if (latest && r.start < latest.end && r.member !== latest.member) count++;
      if (!latest || r.end > latest.end) latest = r;
    }
  }
  return count;
}

/** True when nothing went wrong. */
export function passed(verdict: Verdict): boolean {
  return Object.values(verdict.problems).every((p) => p.count === 0);
}
