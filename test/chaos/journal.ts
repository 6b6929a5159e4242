import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * One handler run as a consumer process records it, one tab-separated line per run. Times are
 * nanoseconds of the machine's monotonic clock (`process.hrtime`, shared by every process of the
 * machine) minus the run's epoch, so runs in different processes can be ordered.
 */
export interface Run {
  readonly key: string;
  readonly seq: number;
  /** The consumer process (one journal file each). */
  readonly member: string;
  readonly partition: number;
  readonly start: number;
  readonly end: number;
  readonly deliveryCount: number;
  readonly attempt: number;
  /** False: the handler threw after recording (a message marked to fail). */
  readonly ok: boolean;
}

export function formatRun(r: Omit<Run, 'member'>): string {
  const fields = [r.key, r.seq, r.partition, r.start, r.end, r.deliveryCount, r.attempt, r.ok ? 1 : 0];
  return `${fields.join('\t')}\n`;
}

export function parseRun(line: string, member: string): Run | undefined {
  const [key, ...fields] = line.split('\t');
  const n = fields.map(Number);
  if (!key || n.length !== 7 || !n.every(Number.isFinite) || !(n[6] === 0 || n[6] === 1)) return undefined;
  const [seq, partition, start, end, deliveryCount, attempt, ok] = n as Seven;
  return { key, member, seq, partition, start, end, deliveryCount, attempt, ok: ok === 1 };
}

type Seven = [number, number, number, number, number, number, number];

/**
 * An append-only file with group commit: `append` resolves once its line is written and
 * fdatasync'ed, together with whatever else was appended meanwhile. A handler awaits it before
 * returning, so everything acknowledged is on disk even if the process is SIGKILLed right after.
 */
export class Journal {
  private waiting: { line: string; done: () => void; failed: (error: unknown) => void }[] = [];
  private flushing = false;

  private constructor(private readonly file: FileHandle) {}

  static async open(path: string): Promise<Journal> {
    return new Journal(await open(path, 'a'));
  }

  append(line: string): Promise<void> {
    return new Promise((done, failed) => {
      this.waiting.push({ line, done, failed });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        await this.file.write(batch.map((w) => w.line).join(''));
        await this.file.datasync();
        for (const w of batch) w.done();
      } catch (error) {
        for (const w of batch) w.failed(error);
      }
    }
    this.flushing = false;
  }

  async close(): Promise<void> {
    while (this.flushing) await new Promise((resolve) => setImmediate(resolve));
    await this.file.close();
  }
}

/**
 * Reads every journal in a directory (`<member>.journal`), picking up where the last call stopped.
 * A line cut short (its writer was killed mid-write) is left unread: it never completes.
 */
export class JournalReader {
  private readonly offsets = new Map<string, number>();
  /** Complete lines that did not parse: a journal is corrupt. */
  malformed = 0;

  constructor(private readonly dir: string) {}

  /** The runs recorded since the previous call. */
  async poll(): Promise<Run[]> {
    const out: Run[] = [];
    for (const name of (await readdir(this.dir)).filter((n) => n.endsWith('.journal')).sort()) {
      const member = name.slice(0, -'.journal'.length);
      const from = this.offsets.get(name) ?? 0;
      const file = await open(join(this.dir, name), 'r');
      try {
        const { size } = await file.stat();
        if (size <= from) continue;
        const data = Buffer.alloc(size - from);
        await file.read(data, 0, data.length, from);
        const last = data.lastIndexOf(10);
        if (last < 0) continue;
        for (const line of data.subarray(0, last).toString('utf8').split('\n')) {
          const run = parseRun(line, member);
          if (run) out.push(run);
          else this.malformed++;
        }
        this.offsets.set(name, from + last + 1);
      } finally {
        await file.close();
      }
    }
    return out;
  }
}
