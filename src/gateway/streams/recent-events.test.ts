import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentEvents } from './recent-events.js';

const event = (n: number) => ({ id: `e${n}`, event: 'Happened', payload: { n } });
const ids = (events: Iterable<{ id: string }>) => [...events].map((e) => e.id);

describe('RecentEvents', () => {
  it('keeps the last events across many turns of the ring, and replays after an id oldest first', () => {
    const recent = new RecentEvents(3);
    for (let n = 1; n <= 10; n++) recent.push(event(n));
    assert.deepEqual(
      [1, 7, 8, 9, 10].map((n) => recent.has(`e${n}`)),
      [false, false, true, true, true],
    );
    assert.deepEqual(ids(recent.after('e8')), ['e9', 'e10']);
    assert.deepEqual(ids(recent.after('e10')), []);
    assert.deepEqual(ids(recent.after('e7')), [], 'an evicted id replays nothing');
  });

  it('replays everything after the oldest kept, before the ring is full', () => {
    const recent = new RecentEvents(5);
    for (let n = 1; n <= 3; n++) recent.push(event(n));
    assert.deepEqual(ids(recent.after('e1')), ['e2', 'e3']);
  });
});
