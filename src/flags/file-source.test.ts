import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SwitchyardError } from '../errors/index.js';
import { fileFlagSource } from './file-source.js';
import { createFlags } from './flags.js';
import { recordEvents } from './test-support.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-flags-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('flags from a file', () => {
  it('loads YAML and reloads it on change, keeping the last good flags through a bad edit', async () => {
    const path = join(dir, 'flags.yaml');
    writeFileSync(
      path,
      'flags:\n  new-search:\n    rollout: { on: 10 }\n  dark-mode:\n    defaultVariant: on\n',
    );
    const flags = createFlags(fileFlagSource(path, { debounceMs: 20 }));
    const events = recordEvents(flags);
    try {
      await flags.ready();
      assert.deepEqual(flags.keys().sort(), ['dark-mode', 'new-search']);
      assert.deepEqual(
        [...(await events.next('change')).change.changed].sort(),
        ['dark-mode', 'new-search'],
        'the first load',
      );
      assert.equal(flags.isEnabled('dark-mode'), true);

      writeFileSync(
        path,
        'flags:\n  new-search:\n    rollout: { on: 100 }\n  dark-mode:\n    defaultVariant: on\n',
      );
      assert.deepEqual((await events.next('change')).change.changed, ['new-search']);
      assert.equal(flags.isEnabled('new-search', { targetingKey: 'anyone' }), true);

      writeFileSync(path, 'flags:\n  new-search: [unclosed\n');
      const syntax = (await events.next('error')).error;
      assert.equal(syntax.code, 'INVALID_ARGUMENT');
      assert.equal(syntax.details.path, path);
      assert.equal(flags.isEnabled('dark-mode'), true, 'the last good flags stay');
      assert.equal(flags.stale, true);

      writeFileSync(path, 'flags:\n  dark-mode:\n    defaultVariant: dim\n');
      const invalid = (await events.next('error')).error;
      assert.deepEqual(
        invalid.details.violations?.map((v) => v.path),
        ['/flags/dark-mode/defaultVariant'],
      );

      // Replaced by rename, as editors and config mounts do.
      writeFileSync(`${path}.tmp`, 'flags:\n  dark-mode:\n    defaultVariant: off\n');
      renameSync(`${path}.tmp`, path);
      assert.deepEqual([...(await events.next('change')).change.changed].sort(), ['dark-mode', 'new-search']);
      assert.equal(flags.isEnabled('dark-mode'), false);
      assert.equal(flags.evaluate('new-search').errorCode, 'FLAG_NOT_FOUND');
      assert.equal(flags.stale, false);
    } finally {
      await flags.close();
    }
  });

  it('reads JSON, and fails `ready` for a missing file until it appears', async () => {
    const path = join(dir, 'later.json');
    const flags = createFlags(fileFlagSource(path, { debounceMs: 20 }));
    const events = recordEvents(flags);
    try {
      await assert.rejects(flags.ready(), (e) => SwitchyardError.is(e, 'NOT_FOUND'));
      assert.equal(flags.evaluate('x').errorCode, 'PROVIDER_NOT_READY');
      writeFileSync(path, JSON.stringify({ flags: { x: { defaultVariant: 'on' } } }));
      await events.next('change');
      await flags.ready();
      assert.equal(flags.isEnabled('x'), true);
    } finally {
      await flags.close();
    }
  });
});
