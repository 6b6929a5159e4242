import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { tableRows } from '../../../test/support/markdown.js';
import { changeKinds } from './index.js';

it('documents every change kind with its class in docs/contracts.md', () => {
  const rows = tableRows(readFileSync(new URL('../../../docs/contracts.md', import.meta.url), 'utf8'));
  for (const [kind, info] of Object.entries(changeKinds)) {
    const row = rows.find((cells) => cells[0] === `\`${kind}\``);
    assert.equal(row?.[1], info.class, `docs/contracts.md lacks ${kind} (${info.class})`);
  }
});
