import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Plan } from './contract.js';
import type { Run } from './journal.js';
import { judge, passed, type DeadLetter } from './verdict.js';

const plan: Plan = { keys: 2, perKey: 3, partitions: 2, marked: ['k1:1'] };

/** Runs one after another, 10 ns apart, each taking 5 ns: `[key, seq, member?, ok?]`. */
function history(steps: readonly (readonly [string, number, string?, boolean?])[]): Run[] {
  return steps.map(([key, seq, member = 'm1', ok = true], i) => ({
    key,
    seq,
    member,
    partition: key === 'k0' ? 0 : 1,
    start: i * 10,
    end: i * 10 + 5,
    deliveryCount: 1,
    attempt: 1,
    ok,
  }));
}

const clean = () =>
  history([
    ['k0', 0],
    ['k1', 0],
    ['k0', 1],
    ['k1', 1, 'm1', false],
    ['k1', 1, 'm1', false],
    ['k0', 2],
    ['k1', 2],
  ]);
const letters: DeadLetter[] = [{ key: 'k1', seq: 1, reason: 'handler-failed' }];

describe('chaos verdict', () => {
  it('passes a clean history and counts what it saw', () => {
    const v = judge(plan, clean(), letters);
    assert.ok(passed(v), JSON.stringify(v.problems));
    assert.deepEqual(
      [v.expected, v.handled, v.runs, v.duplicates, v.deadLetters, v.overlaps],
      [6, 5, 7, 0, 1, 0],
    );
  });

  it('passes a crash that replays the message in flight, on another member', () => {
    const v = judge(
      plan,
      history([
        ['k0', 0],
        ['k0', 1, 'm1'],
        ['k0', 1, 'm2'],
        ['k0', 2, 'm2'],
        ['k1', 0],
        ['k1', 1, 'm1', false],
        ['k1', 2],
      ]),
      [...letters, ...letters],
    );
    assert.ok(passed(v), JSON.stringify(v.problems));
    assert.equal(v.duplicates, 1);
    assert.equal(v.duplicateDeadLetters, 1);
  });

  it('finds a lost message', () => {
    const v = judge(
      plan,
      clean().filter((r) => !(r.key === 'k0' && r.seq === 2)),
      letters,
    );
    assert.deepEqual(v.problems.missing, { count: 1, sample: ['k0:2'] });
  });

  it('finds a message handled before the previous one of its key', () => {
    const runs = clean();
    const [one, two] = [runs[2]!, runs[5]!]; // k0:1 and k0:2
    runs[2] = { ...two, start: one.start, end: one.end };
    runs[5] = { ...one, start: two.start, end: two.end };
    const v = judge(plan, runs, letters);
    assert.equal(v.problems.outOfOrder.count, 1);
    assert.match(v.problems.outOfOrder.sample[0]!, /^k0:2 started/);
  });

  it('finds a replay from before the acknowledged point', () => {
    const v = judge(
      plan,
      [...clean(), ...history([['k0', 0, 'm3']]).map((r) => ({ ...r, start: 100 }))],
      letters,
    );
    assert.equal(v.problems.rewinds.count, 1);
    assert.match(v.problems.rewinds.sample[0]!, /^k0:0 ran again \(m3/);
  });

  it('finds dead letters that should not be there, and marked messages that are not', () => {
    const v = judge(plan, clean(), [{ key: 'k0', seq: 0, reason: 'redelivered-too-often' }]);
    assert.deepEqual(v.problems.unexpectedDeadLetters.sample, ['k0:0 (redelivered-too-often)']);
    assert.deepEqual(v.problems.missingDeadLetters.sample, ['k1:1']);
  });

  it('finds runs outside the plan and a marked message that succeeded', () => {
    const v = judge(
      plan,
      [
        ...clean(),
        ...history([
          ['k9', 0],
          ['k1', 1],
          ['k0', 7],
        ]),
      ],
      letters,
    );
    assert.equal(v.problems.unexpected.count, 3);
  });

  it('counts two processes handling one partition at the same time', () => {
    const runs = clean();
    runs.push({ ...runs[0]!, member: 'm2', start: 2, end: 4 });
    assert.equal(judge(plan, runs, letters).overlaps, 1);
  });
});
