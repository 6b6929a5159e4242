import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryQueue } from './delivery-queue.js';

const noReturn = async () => {};

async function drain<T>(queue: DeliveryQueue<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of queue) out.push(item);
  return out;
}

describe('DeliveryQueue', () => {
  it('hands items to a waiting reader, and keeps them in order when nobody waits', async () => {
    const queue = new DeliveryQueue<number>(noReturn);
    const iterator = queue[Symbol.asyncIterator]();
    const first = iterator.next();
    assert.equal(queue.push(1), true);
    assert.deepEqual(await first, { value: 1, done: false });
    queue.push(2);
    queue.push(3);
    assert.equal(queue.size, 2);
    assert.deepEqual(await iterator.next(), { value: 2, done: false });
    assert.deepEqual(await iterator.next(), { value: 3, done: false });
    assert.equal(queue.size, 0);
  });

  it('serves several outstanding reads in the order they were made', async () => {
    const queue = new DeliveryQueue<string>(noReturn);
    const iterator = queue[Symbol.asyncIterator]();
    const reads = [iterator.next(), iterator.next(), iterator.next()];
    queue.push('a');
    queue.push('b');
    queue.end();
    assert.deepEqual(await Promise.all(reads), [
      { value: 'a', done: false },
      { value: 'b', done: false },
      { value: undefined, done: true },
    ]);
  });

  it('end() discards what waits, finishes every reader, and drops later pushes', async () => {
    const queue = new DeliveryQueue<number>(noReturn);
    queue.push(1);
    queue.end();
    assert.equal(queue.ended, true);
    assert.equal(queue.size, 0);
    assert.equal(queue.push(2), false);
    assert.deepEqual(await drain(queue), []);
    queue.end(); // idempotent
    assert.deepEqual(await drain(queue), []);
  });

  it('fail() rejects waiting and later reads with the error', async () => {
    const queue = new DeliveryQueue<number>(noReturn);
    const iterator = queue[Symbol.asyncIterator]();
    const waiting = iterator.next();
    const error = new Error('engine refused');
    queue.fail(error);
    await assert.rejects(waiting, (e) => e === error);
    await assert.rejects(iterator.next(), (e) => e === error);
    queue.fail(new Error('later')); // the first failure stays
    await assert.rejects(drain(queue), (e) => e === error);
  });

  it('discard() forgets waiting items, all of them or those selected', async () => {
    const queue = new DeliveryQueue<{ partition: number; n: number }>(noReturn);
    for (let n = 0; n < 6; n++) queue.push({ partition: n % 3, n });
    queue.discard((d) => d.partition === 1);
    assert.equal(queue.size, 4);
    const iterator = queue[Symbol.asyncIterator]();
    assert.deepEqual((await iterator.next()).value, { partition: 0, n: 0 });
    queue.discard();
    assert.equal(queue.size, 0);
    queue.push({ partition: 2, n: 9 });
    assert.deepEqual((await iterator.next()).value, { partition: 2, n: 9 });
  });

  it('leaving a for-await loop calls onReturn (the consumer closes)', async () => {
    let returned = 0;
    const queue = new DeliveryQueue<number>(async () => {
      returned++;
      queue.end();
    });
    queue.push(1);
    queue.push(2);
    for await (const item of queue) {
      assert.equal(item, 1);
      break;
    }
    assert.equal(returned, 1);
    assert.equal(queue.ended, true);
  });
});
