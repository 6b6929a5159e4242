import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instance } from '../../../test/discovery/support.js';
import { outlierDetector, type EjectEvent, type OutlierOptions } from './outlier.js';

const fail = { ok: false, latencyMs: 3 };
const ok = { ok: true, latencyMs: 3 };
const callerFault = { ok: false, latencyMs: 3, callerFault: true };
const fleet = (n: number) => Array.from({ length: n }, (_, i) => instance(`i${i}`));
const ids = (list: readonly { id: string }[]) => list.map((i) => i.id);

/** A detector on a fake clock that has seen `n` instances. */
function setup(n: number, options: OutlierOptions = {}) {
  const clock = { t: 0 };
  const detector = outlierDetector({
    baseEjectionMs: 1000,
    maxEjectionMs: 3500,
    now: () => clock.t,
    ...options,
  });
  const instances = fleet(n);
  detector.filter(instances);
  const events: string[] = [];
  detector.onEject((e: EjectEvent) => events.push(`eject ${e.instanceId} ${e.durationMs}ms #${e.times}`));
  detector.onReturn((e) => events.push(`return ${e.instanceId}`));
  const failTimes = (id: string, times: number) => {
    for (let k = 0; k < times; k++) detector.record(id, fail);
  };
  return { clock, detector, instances, events, failTimes };
}

describe('outlier ejection', () => {
  it('ejects after N consecutive failures, and only then', () => {
    const { detector, instances, events, failTimes } = setup(10, { consecutiveFailures: 5 });
    failTimes('i0', 4);
    assert.equal(detector.isEjected('i0'), false);
    failTimes('i0', 1);
    assert.equal(detector.isEjected('i0'), true);
    assert.deepEqual(ids(detector.filter(instances)), ids(instances).slice(1));
    assert.deepEqual(events, ['eject i0 1000ms #1']);
  });

  it('resets the count on a success; caller faults neither count nor reset', () => {
    const { detector, failTimes } = setup(10, { consecutiveFailures: 3 });
    failTimes('i0', 2);
    detector.record('i0', ok);
    failTimes('i0', 2);
    assert.equal(detector.isEjected('i0'), false, 'the success started the count again');
    for (let k = 0; k < 10; k++) detector.record('i1', callerFault);
    assert.equal(detector.isEjected('i1'), false, 'bad requests say nothing about the instance');
    failTimes('i1', 2);
    detector.record('i1', callerFault);
    failTimes('i1', 1);
    assert.equal(detector.isEjected('i1'), true, 'a caller fault between failures does not break the run');
  });

  it('returns the instance after its ejection time', () => {
    const { clock, detector, instances, events, failTimes } = setup(10);
    failTimes('i0', 5);
    clock.t = 999;
    assert.equal(detector.filter(instances).length, 9);
    clock.t = 1000;
    assert.equal(detector.filter(instances), instances, 'the same array once nobody is ejected');
    assert.deepEqual(events, ['eject i0 1000ms #1', 'return i0']);
  });

  it('forgives: the multiplier falls back by one per base period the instance stays in', () => {
    const { clock, detector, events, failTimes } = setup(10);
    failTimes('i0', 5); // 1 s
    clock.t = 1000;
    failTimes('i0', 5); // at once again: 2 s
    clock.t = 3000;
    assert.equal(detector.isEjected('i0'), false);
    clock.t = 3000 + 1500; // one base period (and a half) back in: the multiplier drops from 2 to 1
    failTimes('i0', 5);
    clock.t += 5000; // five base periods: back to the start
    failTimes('i0', 5);
    assert.deepEqual(
      events.filter((e) => e.startsWith('eject')),
      ['eject i0 1000ms #1', 'eject i0 2000ms #2', 'eject i0 2000ms #2', 'eject i0 1000ms #1'],
    );
  });

  it('grows the ejection of an instance that keeps failing as soon as it returns', () => {
    const { clock, detector, events, failTimes } = setup(10);
    for (let round = 0; round < 5; round++) {
      failTimes('i0', 5);
      const until = clock.t + [1000, 2000, 3000, 3500, 3500][round]!;
      clock.t = until;
      assert.equal(detector.isEjected('i0'), false, `back after round ${round + 1}`);
    }
    assert.deepEqual(
      events.filter((e) => e.startsWith('eject')),
      [
        'eject i0 1000ms #1',
        'eject i0 2000ms #2',
        'eject i0 3000ms #3',
        'eject i0 3500ms #4',
        'eject i0 3500ms #5',
      ],
    );
  });

  it('never ejects more than maxEjectionPercent of the instances at once', () => {
    const { detector, instances, failTimes } = setup(10, { maxEjectionPercent: 30 });
    for (const id of ['i0', 'i1', 'i2', 'i3', 'i4']) failTimes(id, 5);
    assert.deepEqual(
      ids(instances).filter((id) => detector.isEjected(id)),
      ['i0', 'i1', 'i2'],
    );
    assert.equal(detector.filter(instances).length, 7);
  });

  it('ejects one of a few instances even under a small percentage, but never the last one', () => {
    const three = setup(3, { maxEjectionPercent: 10 });
    three.failTimes('i0', 5);
    three.failTimes('i1', 5);
    assert.deepEqual(ids(three.detector.filter(three.instances)), ['i1', 'i2']);

    const two = setup(2, { maxEjectionPercent: 100 });
    two.failTimes('i0', 5);
    two.failTimes('i1', 5);
    assert.equal(two.detector.filter(two.instances).length, 1, 'at least one instance is always left');

    const one = setup(1, { maxEjectionPercent: 100 });
    one.failTimes('i0', 50);
    assert.equal(one.detector.filter(one.instances).length, 1);
  });

  it('ignores late failures of calls sent before the ejection', () => {
    const { clock, detector, events, failTimes } = setup(10);
    failTimes('i0', 5);
    failTimes('i0', 20);
    clock.t = 1000;
    assert.equal(detector.isEjected('i0'), false, 'not extended');
    failTimes('i0', 4);
    assert.equal(detector.isEjected('i0'), false, 'the count started afresh at its return');
    assert.equal(events.filter((e) => e.startsWith('eject')).length, 1);
  });
});
