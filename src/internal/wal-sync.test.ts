import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SwitchyardError } from '../errors/index.js';
import { fileAndDurability, sqliteSynchronous, startWalFlusher, walSyncIntervalMs } from './wal-sync.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-wal-sync-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('WAL durability', () => {
  test('commit fsyncs at every commit, interval leaves it to the flusher', () => {
    assert.equal(sqliteSynchronous('commit'), 'FULL');
    assert.equal(sqliteSynchronous('interval'), 'NORMAL');
  });

  test('the flusher fsyncs the WAL of a file on its period, and once more when stopped', async () => {
    const file = join(dir, 'flushed.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE t (n INTEGER)');
    db.prepare('INSERT INTO t VALUES (1)').run();
    // Count datasync calls on the WAL file, whichever handle makes them.
    const probe = await open(file, 'r');
    const handlePrototype = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const datasync = handlePrototype.datasync;
    let synced = 0;
    handlePrototype.datasync = function (this: unknown) {
      synced++;
      return datasync.call(this);
    };
    try {
      const flusher = startWalFlusher(file);
      await new Promise((resolve) => setTimeout(resolve, walSyncIntervalMs + 300));
      assert.ok(synced >= 1, 'flushed within its period');
      const before = synced;
      await flusher.stop();
      assert.equal(synced, before + 1, 'flushed once more on stop');
      await new Promise((resolve) => setTimeout(resolve, walSyncIntervalMs + 300));
      assert.equal(synced, before + 1, 'nothing after stop');
    } finally {
      handlePrototype.datasync = datasync;
      db.close();
    }
  });

  test('a file without a WAL is nothing to flush', async () => {
    const flusher = startWalFlusher(join(dir, 'never-written.db'));
    await flusher.stop();
  });

  test('URLs name the file and, optionally, the durability', () => {
    assert.deepEqual(fileAndDurability('a/b.db'), { file: 'a/b.db' });
    assert.deepEqual(fileAndDurability('a/b.db?durability=interval'), {
      file: 'a/b.db',
      durability: 'interval',
    });
    assert.deepEqual(fileAndDurability('b.db?durability=commit'), { file: 'b.db', durability: 'commit' });
    for (const bad of ['b.db?durability=sometimes', 'b.db?durability=interval&x=1', 'b.db?sync=1'])
      assert.throws(
        () => fileAndDurability(bad),
        (e: unknown) => SwitchyardError.is(e, 'INVALID_ARGUMENT') && /durability/.test((e as Error).message),
        bad,
      );
  });
});
