import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { tableRows } from '../../../test/support/markdown.js';
import { authFailureReasons } from './types.js';

it('documents every reason a credential is refused in docs/gateway-auth-and-limits.md', () => {
  const doc = readFileSync(new URL('../../../docs/gateway-auth-and-limits.md', import.meta.url), 'utf8');
  const rows = tableRows(doc);
  for (const reason of authFailureReasons)
    assert.ok(
      rows.some((cells) => cells[0] === `\`${reason}\``),
      `docs/gateway-auth-and-limits.md has no row for ${reason}`,
    );
});
