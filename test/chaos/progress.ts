import { keyName, type Plan } from './contract.js';
import type { JournalReader, Run } from './journal.js';

/** What the consumer processes' journals show so far, kept up to date by `poll`. */
export class Progress {
  readonly runs: Run[] = [];
  /** Distinct messages with a successful run (marked ones: with any run). */
  handled = 0;
  /** When `handled` last grew (epoch ms). */
  movedAt = Date.now();
  private readonly seen: Uint8Array;
  private readonly marked: Set<string>;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly plan: Plan,
    private readonly reader: JournalReader,
  ) {
    this.seen = new Uint8Array(plan.keys * plan.perKey);
    this.marked = new Set(plan.marked);
  }

  get expected(): number {
    return this.seen.length;
  }

  get malformed(): number {
    return this.reader.malformed;
  }

  /** Reads what the journals gained; concurrent calls share one read. */
  poll(): Promise<void> {
    this.polling ??= this.read().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async read(): Promise<void> {
    const before = this.handled;
    for (const run of await this.reader.poll()) {
      this.runs.push(run);
      const k = Number(run.key.slice(1));
      if (run.key !== keyName(k) || k >= this.plan.keys || !(run.seq < this.plan.perKey)) continue;
      const at = k * this.plan.perKey + run.seq;
      if (this.seen[at] === 0 && (run.ok || this.marked.has(`${run.key}:${run.seq}`))) {
        this.seen[at] = 1;
        this.handled++;
      }
    }
    if (this.handled > before) this.movedAt = Date.now();
  }

  /** Up to `n` messages not handled yet. */
  missing(n = 5): string[] {
    const out: string[] = [];
    for (let at = 0; at < this.seen.length && out.length < n; at++)
      if (this.seen[at] === 0)
        out.push(`${keyName(Math.floor(at / this.plan.perKey))}:${at % this.plan.perKey}`);
    return out;
  }
}
