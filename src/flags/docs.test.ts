import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { tableRows } from '../../test/support/markdown.js';
import { operators } from './types.js';

it('documents every condition operator and reason in docs/flags.md', () => {
  const rows = tableRows(readFileSync(new URL('../../docs/flags.md', import.meta.url), 'utf8'));
  const reasons = ['STATIC', 'TARGETING_MATCH', 'SPLIT', 'DEFAULT', 'DISABLED', 'ERROR'];
  for (const name of [...operators, ...reasons])
    assert.ok(
      rows.some((cells) => cells[0] === `\`${name}\``),
      `docs/flags.md has no row for ${name}`,
    );
});
