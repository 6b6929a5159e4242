import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { ExpiryQueue, type Expiring } from './expiry-queue.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

interface Entry extends Expiring {
  readonly name: string;
  /** When it expired, on performance.now()'s clock. */
  at?: number;
  readonly expired: Promise<void>;
}

function entry(name: string, log: string[]): Entry {
  let done!: () => void;
  const e: Entry = {
    name,
    expiresAt: 0,
    prevExpiring: undefined,
    nextExpiring: undefined,
    expired: new Promise<void>((resolve) => (done = resolve)),
    expire() {
      e.at = performance.now();
      log.push(name);
      done();
    },
  };
  return e;
}

describe('ExpiryQueue', () => {
  it('expires entries in order, no earlier than their time, and skips the removed ones', async () => {
    const queue = new ExpiryQueue(20);
    const log: string[] = [];
    const start = performance.now();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => entry(name, log)) as [Entry, Entry, Entry, Entry];
    queue.add(a);
    queue.add(b);
    queue.add(c);
    queue.remove(a); // the oldest leaves early: nothing is re-armed for it
    queue.remove(c);
    queue.remove(c); // twice is harmless
    queue.add(d);
    await d.expired;
    assert.deepEqual(log, ['b', 'd']);
    assert.ok(b.at! - start >= 19, `expired after ${b.at! - start} ms`);
  });

  it('re-arms for entries added later, and keeps no referenced timer once empty', async () => {
    const before = timers();
    const queue = new ExpiryQueue(15);
    const log: string[] = [];
    const first = entry('first', log);
    queue.add(first);
    await first.expired;
    const second = entry('second', log);
    queue.add(second);
    await second.expired;
    assert.deepEqual(log, ['first', 'second']);
    assert.equal(timers(), before);

    const idle = entry('idle', log);
    queue.add(idle);
    queue.remove(idle);
    assert.equal(timers(), before, 'an empty queue does not hold the process open');
  });
});
