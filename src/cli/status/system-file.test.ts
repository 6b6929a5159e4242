import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  pidAlive,
  readRunningSystem,
  removeSystemFile,
  systemFileOf,
  writeSystemFile,
  type SystemFile,
} from './system-file.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-system-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const system = (pid: number): SystemFile => ({
  name: 'shop',
  manifest: '/srv/shop/switchyard.yaml',
  hubUrl: 'http://127.0.0.1:7070',
  dnsPort: 8600,
  pid,
  startedAt: new Date(0).toISOString(),
  logDir: '/srv/shop/.switchyard/shop/logs',
  processes: [{ name: 'hub', pid: 11, state: 'ready', restarts: 0, logFile: '/srv/logs/hub.log' }],
});

/** The pid of a process that has exited (and been reaped), so nothing answers to it. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

describe('system file', () => {
  it('reads back what was written while its up process lives, leaving no temporary file', () => {
    const file = systemFileOf(join(dir, 'live'));
    writeSystemFile(file, system(process.pid));
    assert.deepEqual(readRunningSystem(file), system(process.pid));
    assert.deepEqual(readdirSync(join(dir, 'live')), ['system.json']);
  });

  it('treats a file whose up process is gone as not running', async () => {
    const file = systemFileOf(join(dir, 'stale'));
    const pid = await deadPid();
    assert.equal(pidAlive(pid), false);
    writeSystemFile(file, system(pid));
    assert.equal(readRunningSystem(file), undefined);
    assert.equal(readRunningSystem(file, () => true)?.pid, pid);
  });

  it('treats a missing, unreadable or foreign file as not running', () => {
    assert.equal(readRunningSystem(join(dir, 'none.json')), undefined);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"pid": 1');
    assert.equal(readRunningSystem(broken), undefined);
    writeFileSync(broken, '{"name": "x"}');
    assert.equal(
      readRunningSystem(broken, () => true),
      undefined,
    );
  });

  it('is removed when the system stops, and removing twice is harmless', () => {
    const file = systemFileOf(join(dir, 'gone'));
    writeSystemFile(file, system(process.pid));
    removeSystemFile(file);
    removeSystemFile(file);
    assert.equal(existsSync(file), false);
  });
});
