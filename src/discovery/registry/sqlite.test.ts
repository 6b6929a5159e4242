import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import { registryBackendConformance } from './conformance.js';
import { createSqliteBackend } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-registry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

registryBackendConformance({
  name: 'sqlite',
  capabilities: { persistent: true, shared: false },
  open: async ({ storage, evictAfter }) =>
    createSqliteBackend({ path: join(dir, storage, 'registry.db'), evictAfter, sweepIntervalMs: 100 }),
});

describe('sqlite registry backend', () => {
  it('refuses a second hub on the same file', async () => {
    const path = join(dir, 'locked', 'registry.db');
    const first = createSqliteBackend({ path });
    try {
      assert.throws(
        () => createSqliteBackend({ path }),
        (error) =>
          SwitchyardError.is(error, 'FAILED_PRECONDITION') && /in use by another hub/.test(error.message),
      );
    } finally {
      await first.close();
    }
  });
});
