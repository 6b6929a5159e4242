import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderTable } from '../../src/cli/status/table.js';
import { tableRows } from '../support/markdown.js';

const doc = readFileSync(new URL('../../docs/cli-up.md', import.meta.url), 'utf8');
const plain = { bold: String, dim: String, red: String, green: String, yellow: String };

describe('docs/cli-up.md', () => {
  it('explains every column of the status table, and no other', () => {
    const columns = renderTable([], plain)[0]!.split(/\s+/);
    const section = doc.slice(doc.indexOf('### The status table'), doc.indexOf('## `switchyard logs'));
    const documented = tableRows(section)
      .slice(1)
      .map((cells) => cells[0]);
    assert.deepEqual(documented, columns);
  });
});
