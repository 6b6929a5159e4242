import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatRun, Journal, JournalReader, parseRun } from './journal.js';

const run = { key: 'k3', seq: 7, partition: 2, start: 10, end: 25, deliveryCount: 2, attempt: 1, ok: true };

describe('chaos journal', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-journal-'));
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads back what it wrote, and refuses a line that is not a run', () => {
    assert.deepEqual(parseRun(formatRun(run).trimEnd(), 'c1'), { ...run, member: 'c1' });
    for (const bad of ['', 'k3\t7', 'k3\t7\t2\t10\t25\t2\t1\t2', 'k3\tx\t2\t10\t25\t2\t1\t1'])
      assert.equal(parseRun(bad, 'c1'), undefined, bad);
  });

  it('polls each journal from where it stopped, leaving a line cut short for later', async () => {
    const journal = await Journal.open(join(dir, 'c1.journal'));
    await Promise.all([journal.append(formatRun(run)), journal.append(formatRun({ ...run, seq: 8 }))]);
    await journal.close();
    const reader = new JournalReader(dir);
    assert.deepEqual(
      (await reader.poll()).map((r) => r.seq),
      [7, 8],
    );
    const line = formatRun({ ...run, seq: 9 });
    await appendFile(join(dir, 'c1.journal'), line.slice(0, 5));
    assert.deepEqual(await reader.poll(), []);
    await appendFile(join(dir, 'c1.journal'), line.slice(5));
    assert.deepEqual(
      (await reader.poll()).map((r) => [r.member, r.seq]),
      [['c1', 9]],
    );
    assert.equal(reader.malformed, 0);
  });
});
