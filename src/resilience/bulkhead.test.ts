import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../errors/index.js';
import { bulkhead, type BulkheadRejectEvent } from './bulkhead.js';

function deferred<T = string>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('bulkhead', () => {
  it('runs maxConcurrent calls, queues maxQueue more and rejects the rest with BULKHEAD_FULL', async () => {
    const policy = bulkhead({ maxConcurrent: 2, maxQueue: 1 });
    const rejects: BulkheadRejectEvent[] = [];
    policy.onReject((e) => rejects.push(e));
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const calls = gates.map((g, i) => policy.execute(() => (started.push(i), g.promise)));
    assert.deepEqual([policy.executing, policy.queued, started], [2, 1, [0, 1]]);

    let called = false;
    await assert.rejects(
      policy.execute(async () => (called = true)),
      (e) => SwitchyardError.is(e, 'BULKHEAD_FULL'),
    );
    assert.equal(called, false);
    assert.deepEqual(rejects, [{ executing: 2, queued: 1 }]);

    gates[0]!.reject(new Error('first fails')); // a failure frees its slot too
    await assert.rejects(calls[0]!, /first fails/);
    await tick();
    assert.deepEqual([policy.executing, policy.queued, started], [2, 0, [0, 1, 2]]);
    gates[1]!.resolve('b');
    gates[2]!.resolve('c');
    assert.deepEqual(await Promise.all(calls.slice(1)), ['b', 'c']);
    assert.deepEqual([policy.executing, policy.queued], [0, 0]);
  });

  it('lets a queued call leave with CANCELLED when its caller aborts, and never starts it', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 2 });
    const gate = deferred();
    const first = policy.execute(() => gate.promise);
    const caller = new AbortController();
    let called = false;
    const queued = policy.execute(async () => ((called = true), 'x'), caller.signal);
    const behind = policy.execute(async () => 'behind');
    caller.abort();
    await assert.rejects(queued, (e) => SwitchyardError.is(e, 'CANCELLED'));
    assert.equal(policy.queued, 1);
    gate.resolve('a');
    assert.deepEqual(await Promise.all([first, behind]), ['a', 'behind']);
    assert.equal(called, false);
  });

  it('reads a timed-out signal as DEADLINE_EXCEEDED', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const gate = deferred();
    const first = policy.execute(() => gate.promise);
    const caller = new AbortController();
    const queued = policy.execute(async () => 'x', caller.signal);
    caller.abort(new DOMException('late', 'TimeoutError'));
    await assert.rejects(queued, (e) => SwitchyardError.is(e, 'DEADLINE_EXCEEDED'));
    gate.resolve('a');
    await first;
  });

  it('lets a queued call leave at its deadline', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const gate = deferred();
    const first = policy.execute(() => gate.promise);
    const queued = policy.execute(async () => 'x', { deadline: Date.now() + 10 });
    await assert.rejects(queued, (e) => SwitchyardError.is(e, 'DEADLINE_EXCEEDED'));
    assert.equal(policy.queued, 0);
    gate.resolve('a');
    await first;
  });

  it('frees the slot of a call that throws synchronously', async () => {
    const policy = bulkhead({ maxConcurrent: 1 });
    await assert.rejects(
      policy.execute(() => {
        throw new Error('sync');
      }),
      /sync/,
    );
    assert.equal(policy.executing, 0);
    assert.equal(await policy.execute(async () => 'next'), 'next');
  });

  it('rejects a bad limit', () => {
    assert.throws(() => bulkhead({ maxConcurrent: 0 }), RangeError);
  });
});
