import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Io } from '../io.js';
import { liveTable } from './live.js';

const plain = { bold: String, dim: String, red: String, green: String, yellow: String };

describe('liveTable', () => {
  it('redraws in place and prints other lines above the table', async () => {
    const screen: string[] = [];
    const io: Io = {
      tty: true,
      out: (l) => screen.push(`out:${l}`),
      err: (l) => screen.push(`err:${l}`),
      style: plain,
    };
    let round = 0;
    const table = liveTable({
      io,
      lines: async () => [`title ${++round}`, 'row'],
      intervalMs: 50,
      write: (text) => screen.push(text),
      columns: () => 80,
    });
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(screen, ['title 1\nrow\n']);
    table.io.out('an order');
    assert.deepEqual(screen.slice(1), ['\x1b[2A\r\x1b[0J', 'out:an order', 'title 1\nrow\n']);
    for (let i = 0; i < 100 && screen.length < 6; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(screen.slice(4, 6), ['\x1b[2A\r\x1b[0J', 'title 2\nrow\n']);
    table.stop();
    assert.equal(screen[screen.length - 1], '\x1b[2A\r\x1b[0J');
    const length = screen.length;
    table.io.err('stopping');
    assert.deepEqual(screen.slice(length), ['err:stopping']);
  });

  it('counts the rows a line longer than the terminal wraps onto', async () => {
    const screen: string[] = [];
    const io: Io = { tty: true, out: () => {}, err: () => {}, style: plain };
    const table = liveTable({
      io,
      lines: async () => ['x'.repeat(25), '\x1b[32mshort\x1b[39m'],
      write: (text) => screen.push(text),
      columns: () => 10,
    });
    await new Promise((r) => setTimeout(r, 5));
    table.stop();
    assert.equal(screen[1], '\x1b[4A\r\x1b[0J');
  });
});
