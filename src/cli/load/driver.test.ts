import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { closedLoop, openLoop } from './driver.js';

const never = new AbortController().signal;

describe('open loop', () => {
  it('starts one task per 1/rate of the duration, each due on its own slot', async () => {
    const due: number[] = [];
    await openLoop({
      rate: 200,
      durationMs: 150,
      maxOutstanding: 1000,
      signal: never,
      onDropped: () => assert.fail('nothing is dropped'),
      task: async (at) => {
        due.push(at);
        await sleep(20);
      },
    });
    assert.equal(due.length, 30);
    for (let i = 1; i < due.length; i++) assert.ok(Math.abs(due[i]! - due[i - 1]! - 5) < 1e-6);
  });

  it('does not wait for slow tasks, and drops what exceeds the outstanding cap', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    let dropped = 0;
    const run = openLoop({
      rate: 1000,
      durationMs: 40,
      maxOutstanding: 5,
      signal: never,
      onDropped: () => void dropped++,
      task: async () => {
        started++;
        await gate;
      },
    });
    // The whole schedule passes while the first five still hang.
    for (const deadline = Date.now() + 5_000; started + dropped < 40 && Date.now() < deadline;)
      await sleep(5);
    assert.equal(started, 5);
    assert.equal(started + dropped, 40);
    release();
    await run;
  });

  it('stops starting on abort and on the first failure, waiting for what runs', async () => {
    const stop = new AbortController();
    let finished = 0;
    await openLoop({
      rate: 100,
      durationMs: 10_000,
      maxOutstanding: 100,
      signal: stop.signal,
      onDropped: () => undefined,
      task: async () => {
        stop.abort();
        await sleep(10);
        finished++;
      },
    });
    assert.equal(finished, 1);

    let calls = 0;
    await assert.rejects(
      openLoop({
        rate: 1000,
        durationMs: 10_000,
        maxOutstanding: 100,
        signal: never,
        onDropped: () => undefined,
        task: async () => {
          if (++calls === 3) throw new Error('mix broke');
          await sleep(1);
        },
      }),
      /mix broke/,
    );
    assert.ok(calls < 10, `${calls} tasks started`);
  });
});

describe('closed loop', () => {
  it('keeps exactly `concurrency` tasks running, each worker starting when its last one ended', async () => {
    let running = 0;
    let peak = 0;
    let done = 0;
    await closedLoop({
      concurrency: 4,
      durationMs: 100,
      signal: never,
      task: async () => {
        peak = Math.max(peak, ++running);
        await sleep(10);
        running--;
        done++;
      },
    });
    assert.equal(peak, 4);
    assert.equal(running, 0);
    assert.ok(done >= 8, `${done} tasks`);
  });

  it('stops on the first failure', async () => {
    let calls = 0;
    await assert.rejects(
      closedLoop({
        concurrency: 2,
        durationMs: 10_000,
        signal: never,
        task: async () => {
          await sleep(1);
          if (++calls === 3) throw new Error('mix broke');
        },
      }),
      /mix broke/,
    );
    assert.ok(calls <= 4, `${calls} tasks`);
  });
});
