import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSummary, liveLine, summarize } from './report.js';
import { createTally } from './tally.js';

const plain = (text: string) => text;
const style = { bold: plain, dim: plain, red: plain, green: plain, yellow: plain };

/** Two kinds, one settling: 3 orders (one 503, one not settled), 2 menu reads (one refused). */
function sample() {
  const tally = createTally();
  tally.started('place order', { settles: true });
  tally.started('menu', { settles: false });
  tally.success('place order', 10);
  tally.success('place order', 20);
  tally.failure('place order', '503 UNAVAILABLE');
  tally.success('place order', 60, { settled: true });
  tally.failure('place order', 'not settled', { settled: true });
  tally.success('menu', 1.25);
  tally.failure('menu', 'ECONNREFUSED');
  for (let i = 0; i < 4; i++) tally.poll();
  tally.drop();
  return tally;
}

describe('load summary', () => {
  it('totals the mix requests only, settles in their own rows', () => {
    const summary = summarize({
      url: 'http://gateway',
      driver: { rate: 5 },
      durationMs: 2000,
      tally: sample(),
    });
    assert.equal(summary.requests, 5);
    assert.equal(summary.successes, 3);
    assert.equal(summary.errors, 2);
    assert.equal(summary.throughput, 2.5);
    assert.equal(summary.polls, 4);
    assert.equal(summary.dropped, 1);
    assert.deepEqual(
      summary.kinds.map((k) => [k.kind, k.settled, k.count, k.rate, k.errors]),
      [
        ['place order', false, 3, 1.5, 1],
        ['place order (settled)', true, 2, 1, 1],
        ['menu', false, 2, 1, 1],
      ],
    );
    assert.deepEqual(summary.kinds[2]!.latencyMs, { p50: 1.25, p95: 1.25, p99: 1.25, max: 1.25 });
    assert.equal(summary.kinds[0]!.latencyMs!.max, 20);
    assert.deepEqual(
      summary.failures.map((f) => `${f.kind}: ${f.error} × ${f.count}`),
      [
        'place order: 503 UNAVAILABLE × 1',
        'place order (settled): not settled × 1',
        'menu: ECONNREFUSED × 1',
      ],
    );
  });

  it('prints the table with one decimal and the error breakdown', () => {
    const tally = sample();
    const lines = formatSummary(
      summarize({ url: 'http://gateway', driver: { concurrency: 2 }, durationMs: 2000, tally }),
      { style },
    );
    const text = lines.join('\n');
    assert.match(text, /^2\.0 s against http:\/\/gateway, concurrency 2$/m);
    assert.match(text, /^requests 5 \(3 ok, 2 errors\), 2\.5 req\/s; 4 settle polls$/m);
    assert.match(text, /^menu\s+2\s+1\.0\s+1\.3\s+1\.3\s+1\.3\s+1\.3\s+1$/m);
    assert.match(text, /^ {2}503 UNAVAILABLE × 1\s+place order$/m);
    assert.match(text, /^ {2}not settled × 1\s+place order \(settled\)$/m);
    assert.match(text, /^ {2}dropped \(client overloaded\) × 1$/m);
  });

  it('shows a dash for a row without successes, and the live line before anything finished', () => {
    const tally = createTally();
    tally.started('menu', { settles: false });
    tally.failure('menu', '500');
    const [row] = summarize({ url: 'u', driver: { concurrency: 1 }, durationMs: 0, tally }).kinds;
    assert.equal(row!.latencyMs, null);
    assert.equal(row!.rate, 0);
    assert.equal(
      liveLine({ phase: 'run', elapsedMs: 1500, phaseMs: 30_000, tally: createTally(), inFlight: 0 }, 0),
      '1.5/30 s  0 req/s  p50 -  p99 -  errors 0',
    );
  });
});
