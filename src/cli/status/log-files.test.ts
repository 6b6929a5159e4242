import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Manifest } from '../manifest.js';
import { lastLines, logSources, selectSources } from './log-files.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-log-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const manifest = {
  name: 'shop',
  file: join(dir, 'switchyard.yaml'),
  dir,
  services: { orders: { entry: 'o.ts', replicas: 2 }, consumers: { entry: 'c.ts' } },
  gateway: { config: 'gateway.yaml' },
} as Manifest;

describe('log sources', () => {
  for (const name of ['consumers-1', 'orders-2', 'hub', 'orders-1', 'gateway', 'old-1'])
    writeFileSync(join(dir, `${name}.log`), `${name} says hi\n`);
  writeFileSync(join(dir, 'notes.txt'), 'not a log');

  it('after a run, orders the logs found as up starts processes, unknown ones last', () => {
    const names = logSources({ manifest, logDir: dir }).map((s) => s.name);
    assert.deepEqual(names, ['hub', 'orders-1', 'orders-2', 'consumers-1', 'gateway', 'old-1']);
  });

  it('while running, takes the processes and files of the system file', () => {
    const processes = [{ name: 'hub', pid: 1, state: 'ready', restarts: 0, logFile: '/l/hub.log' }];
    const system = { processes } as never;
    assert.deepEqual(logSources({ manifest, logDir: dir, system }), [{ name: 'hub', file: '/l/hub.log' }]);
  });

  it('selects a service by its replicas, a process by its exact name, and refuses an unknown name', () => {
    const all = logSources({ manifest, logDir: dir });
    const names = (name?: string) => {
      const chosen = selectSources(all, name);
      return 'sources' in chosen ? chosen.sources.map((s) => s.name) : chosen;
    };
    assert.deepEqual(names('orders'), ['orders-1', 'orders-2']);
    assert.deepEqual(names('orders-2'), ['orders-2']);
    assert.deepEqual(names('gateway'), ['gateway']);
    assert.equal((names() as string[]).length, 6);
    const unknown = names('payments') as { unknown: string; known: string[] };
    assert.equal(unknown.unknown, 'payments');
    assert.ok(unknown.known.includes('orders') && unknown.known.includes('orders-2'));
    assert.ok(unknown.known.includes('hub'));
  });
});

describe('lastLines', () => {
  it('reads the last lines of a file larger than one read, with or without a final newline', () => {
    const file = join(dir, 'big.log');
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'é'.repeat(i % 7)}`);
    writeFileSync(file, lines.join('\n') + '\n');
    const { lines: last, end } = lastLines(file, 3);
    assert.deepEqual(last, lines.slice(-3));
    assert.equal(end, Buffer.byteLength(lines.join('\n') + '\n'));
    writeFileSync(file, 'a\nb\nc');
    assert.deepEqual(lastLines(file, 2).lines, ['b', 'c']);
    assert.deepEqual(lastLines(file, 10).lines, ['a', 'b', 'c']);
    assert.deepEqual(lastLines(file, 0), { lines: [], end: 5 });
  });

  it('has nothing for a missing file', () => {
    assert.deepEqual(lastLines(join(dir, 'missing.log'), 5), { lines: [], end: 0 });
  });
});
