import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SwitchyardError } from '../errors/index.js';
import { openStore } from './connect.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-store-url-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('openStore', () => {
  test('a sqlite: URL fsyncs every commit unless it asks for ?durability=interval', async () => {
    for (const [query, synchronous] of [
      ['', 2],
      ['?durability=commit', 2],
      ['?durability=interval', 1],
    ] as const) {
      const file = join(dir, 'nested', `store${synchronous}${query.length}.db`);
      const store = await openStore(`sqlite:${file}${query}`);
      try {
        assert.equal(store.dialect, 'sqlite');
        if (store.dialect !== 'sqlite') return;
        assert.equal(store.file, file, 'the query is not part of the file name');
        // 2 is FULL (fsync at every commit), 1 NORMAL (the WAL fsynced every second by the store).
        assert.equal(store.db.pragma('synchronous', { simple: true }), synchronous, query);
      } finally {
        await store.close();
      }
    }
    await assert.rejects(openStore(`sqlite:${join(dir, 'x.db')}?durability=later`), (e: unknown) =>
      SwitchyardError.is(e, 'INVALID_ARGUMENT'),
    );
  });
});
