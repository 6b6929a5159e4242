import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { changeKinds } from './index.js';

it('documents every change kind with its class in docs/contracts.md', () => {
  const doc = readFileSync(new URL('../../../docs/contracts.md', import.meta.url), 'utf8');
  for (const [kind, info] of Object.entries(changeKinds))
    assert.ok(
      doc.includes(`| \`${kind}\` | ${info.class} |`),
      `docs/contracts.md lacks ${kind} (${info.class})`,
    );
});
