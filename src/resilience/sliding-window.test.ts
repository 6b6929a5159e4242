import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { slidingWindow } from './sliding-window.js';

const totals = (w: ReturnType<typeof slidingWindow>) => [w.calls, w.failures, w.slowCalls];

describe('sliding windows', () => {
  it('count: keeps the totals of the last N outcomes as the ring wraps', () => {
    const w = slidingWindow({ type: 'count', size: 3 });
    w.record(true, true, 0);
    w.record(true, false, 0);
    w.record(false, false, 0);
    assert.deepEqual(totals(w), [3, 2, 1]);
    w.record(false, false, 0); // evicts the slow failure
    assert.deepEqual(totals(w), [3, 1, 0]);
    w.reset();
    assert.deepEqual(totals(w), [0, 0, 0]);
  });

  it('time: drops each second’s bucket once it is older than the window', () => {
    const w = slidingWindow({ type: 'time', seconds: 3 });
    w.record(true, false, 0); // second 0
    w.record(false, true, 1_500); // second 1
    w.record(true, false, 2_999); // second 2
    assert.deepEqual(totals(w), [3, 2, 1]);
    w.advance(3_000); // second 0 leaves
    assert.deepEqual(totals(w), [2, 1, 1]);
    w.record(false, false, 4_200); // second 1 leaves, second 4 arrives
    assert.deepEqual(totals(w), [2, 1, 0]);
    w.advance(60_000); // far beyond: everything leaves
    assert.deepEqual(totals(w), [0, 0, 0]);
  });

  it('time: records into the newest bucket when the clock steps back', () => {
    const w = slidingWindow({ type: 'time', seconds: 2 });
    w.record(true, false, 5_000);
    w.record(true, false, 3_000);
    assert.deepEqual(totals(w), [2, 2, 0]);
    w.advance(7_000);
    assert.deepEqual(totals(w), [0, 0, 0]);
  });
});
