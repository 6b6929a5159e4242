import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatusRow } from './collect.js';
import { formatBytes, renderTable } from './table.js';

const plain = { bold: String, dim: String, red: String, green: String, yellow: String };

const base: StatusRow = {
  name: 'hub',
  state: 'ready',
  pid: 10,
  health: null,
  requestsPerSecond: null,
  errorsPerSecond: null,
  requests: null,
  errors: null,
  consumerLag: null,
  outboxBacklog: null,
  rssBytes: null,
  restarts: 0,
};
const rows: StatusRow[] = [
  base,
  {
    ...base,
    name: 'consumers-1',
    health: 'passing',
    requestsPerSecond: 12.345,
    errorsPerSecond: 0,
    rssBytes: 52_428_800,
    outboxBacklog: 3,
    restarts: 2,
  },
];

describe('renderTable', () => {
  it('renders a header and one aligned line per process, "-" for unknown values, no colour', () => {
    assert.deepEqual(renderTable(rows, plain), [
      'PROCESS      STATE  HEALTH   REQ/S  ERR/S  LAG  BACKLOG       RSS  RESTARTS',
      'hub          ready  -            -      -    -        -         -         0',
      'consumers-1  ready  passing   12.3    0.0    -        3  50.0 MiB         2',
    ]);
  });

  it('colours through the style only, leaving widths as in plain text', () => {
    const tag = (name: string) => (text: string) => `<${name}>${text}</${name}>`;
    const style = { bold: tag('b'), dim: tag('d'), red: tag('r'), green: tag('g'), yellow: tag('y') };
    const [header, hub, consumers] = renderTable(rows, style);
    assert.ok(header!.startsWith('<d>PROCESS'));
    assert.ok(hub!.includes('<g>ready</g>  -'));
    assert.ok(consumers!.includes('<g>passing</g>'));
    assert.ok(consumers!.endsWith('<y>       2</y>'), consumers);
    const strip = (line: string) => line.replace(/<\/?[a-z]>/g, '');
    assert.deepEqual(
      [hub, consumers].map((l) => strip(l!)),
      renderTable(rows, plain).slice(1),
    );
  });

  it('renders an empty system as its header', () => {
    assert.equal(renderTable([], plain).length, 1);
  });
});

describe('formatBytes', () => {
  it('uses binary units with one decimal', () => {
    assert.equal(formatBytes(null), '-');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB');
  });
});
