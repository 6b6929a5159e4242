import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { followLogs } from './follow.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-follow-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('followLogs', () => {
  it('prints lines appended after the start, whole lines only, and rereads a recreated file', async () => {
    const file = join(dir, 'orders-1.log');
    const later = join(dir, 'orders-2.log');
    writeFileSync(file, 'old\n');
    const seen: string[] = [];
    const stop = new AbortController();
    const waitFor = async (count: number) => {
      for (let i = 0; i < 200 && seen.length < count; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(seen.length, count, seen.join('\n'));
    };
    const done = followLogs({
      sources: () => [
        { name: 'orders-1', file },
        { name: 'orders-2', file: later },
      ],
      from: new Map([[file, statSync(file).size]]),
      onLine: (source, line) => seen.push(`${source.name}: ${line}`),
      signal: stop.signal,
      intervalMs: 10,
    });
    appendFileSync(file, 'one\ntw');
    await waitFor(1);
    appendFileSync(file, 'o\n');
    await waitFor(2);
    // Deleted and written again (a new run): shorter than before, read from its start.
    rmSync(file);
    await new Promise((r) => setTimeout(r, 50));
    writeFileSync(file, 'new\n');
    await waitFor(3);
    writeFileSync(later, 'first\n');
    await waitFor(4);
    stop.abort();
    await done;
    assert.deepEqual(seen, ['orders-1: one', 'orders-1: two', 'orders-1: new', 'orders-2: first']);
  });
});
