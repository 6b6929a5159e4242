/**
 * The embedded broker's raw baseline: the least a hand-written SQLite queue needs for the same
 * guarantees, with better-sqlite3 on a file of its own in WAL mode and the same `synchronous`.
 *
 * - publish: one INSERT per message in its own transaction (a message is confirmed when its commit
 *   returns), then an in-process wake-up of the reader, as the embedded broker does.
 * - consume: a reader keeps `inFlight` messages in hand, reading the next rows after the last one it
 *   read (`seq > ?`, on the primary key) when woken, or by polling every 50 ms for other writers.
 * - ack: one UPDATE per message in its own transaction, marking it done; unmarked rows are what a
 *   restarted reader would deliver again (at least once).
 *
 * It is a single-reader queue: no partitions, no per-key order, no leases or group offsets — what the
 * embedded broker adds on top.
 */
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MessagingSide, OpenSide, Receive } from './messaging-load.js';
import { decodeSample, encodeSample, runId } from './messaging-sample.js';

export type Synchronous = 'FULL' | 'NORMAL';

const pollMs = 50;

/** A fresh database file in the temporary directory, and how to remove it with its WAL. */
export function scratchFile(id: string): { file: string; remove(): Promise<void> } {
  const file = join(tmpdir(), `switchyard-bench-${id}.db`);
  return {
    file,
    remove: async () => {
      for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(file + suffix, { force: true });
    },
  };
}

export function rawSqliteSide(options: { synchronous: Synchronous; inFlight: number }): MessagingSide {
  return {
    name: 'raw',
    async open(receive?: Receive): Promise<OpenSide> {
      const scratch = scratchFile(`raw-${runId()}`);
      const db = new Database(scratch.file);
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous}`);
      db.exec(`CREATE TABLE log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        body BLOB NOT NULL,
        acked INTEGER NOT NULL DEFAULT 0
      )`);
      const insert = db.prepare('INSERT INTO log (body) VALUES (?)');
      const read = db.prepare('SELECT seq, body FROM log WHERE seq > ? ORDER BY seq LIMIT ?');
      const ack = db.prepare('UPDATE log SET acked = 1 WHERE seq = ?');
      const wakeups = new EventEmitter();

      let closed = false;
      let cursor = 0;
      let inHand = 0;
      let scheduled = false;
      const handle = async (row: { seq: number; body: Buffer }) => {
        receive!(decodeSample(row.body));
        ack.run(row.seq);
        inHand--;
        schedule();
      };
      const fetch = () => {
        scheduled = false;
        if (closed || inHand >= options.inFlight) return;
        const rows = read.all(cursor, options.inFlight - inHand) as { seq: number; body: Buffer }[];
        for (const row of rows) {
          cursor = row.seq;
          inHand++;
          void handle(row);
        }
      };
      const schedule = () => {
        if (scheduled || closed) return;
        scheduled = true;
        setImmediate(fetch);
      };
      const poller = receive ? setInterval(schedule, pollMs) : undefined;
      if (receive) wakeups.on('publish', schedule);

      return {
        async publish(sample) {
          insert.run(encodeSample(sample));
          wakeups.emit('publish');
        },
        async close() {
          closed = true;
          clearInterval(poller);
          // Handlers still queued as microtasks finish before the database goes.
          await new Promise((resolve) => setImmediate(resolve));
          db.close();
          await scratch.remove();
        },
      };
    },
  };
}
