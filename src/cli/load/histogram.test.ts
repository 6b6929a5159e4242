import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHistogram } from './histogram.js';

/** The exact nearest-rank percentile, to compare the buckets with. */
function exact(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

function within(actual: number | undefined, expected: number, relative: number, what: string): void {
  assert.ok(actual !== undefined, `${what}: nothing`);
  assert.ok(
    Math.abs(actual - expected) <= expected * relative,
    `${what}: ${actual} is not within ${relative * 100}% of ${expected}`,
  );
}

describe('latency histogram', () => {
  it('has no percentile and no maximum before the first value', () => {
    const h = createHistogram();
    assert.equal(h.count, 0);
    assert.equal(h.percentile(50), undefined);
    assert.equal(h.max, undefined);
  });

  it('answers the one recorded value exactly', () => {
    const h = createHistogram();
    h.record(7.3);
    for (const p of [0, 50, 99, 100]) assert.equal(h.percentile(p), 7.3);
  });

  it('reads percentiles of 1..1000 ms within 0.5%', () => {
    const h = createHistogram();
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    for (const v of values) h.record(v);
    assert.equal(h.count, 1000);
    assert.equal(h.max, 1000);
    assert.equal(h.percentile(100), 1000);
    assert.equal(h.percentile(0), 1);
    for (const p of [50, 90, 95, 99, 99.9]) within(h.percentile(p), exact(values, p), 0.005, `p${p}`);
  });

  it('stays within 0.5% on a long-tailed distribution, from microseconds to seconds', () => {
    // A fixed pseudo-random sequence, so a failure can be reproduced.
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) + 1) / (2 ** 31 + 1);
    const values = Array.from({ length: 20_000 }, () => Math.exp(random() * 16 - 6));
    const h = createHistogram();
    for (const v of values) h.record(v);
    for (const p of [1, 10, 50, 75, 95, 99, 99.99]) within(h.percentile(p), exact(values, p), 0.005, `p${p}`);
    assert.equal(h.max, Math.max(...values));
  });

  it('puts every sub-microsecond value in one bucket without losing the count', () => {
    const h = createHistogram();
    for (const v of [0, 0.0001, 0.0005]) h.record(v);
    assert.equal(h.count, 3);
    assert.equal(h.percentile(100), 0.0005);
  });
});
