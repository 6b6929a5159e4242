import type { Io } from '../io.js';

export interface LiveTableOptions {
  readonly io: Io;
  /** The lines to show now (a title and the table); may take a while (it scrapes). */
  lines(): Promise<string[]>;
  readonly intervalMs?: number;
  readonly write?: (text: string) => void;
  /** Terminal width, to count the rows a long line wraps onto. */
  readonly columns?: () => number | undefined;
}

export interface LiveTable {
  /** Prints above the table: the table is erased, the line written, the table drawn again below it. */
  readonly io: Io;
  stop(): void;
}

// eslint-disable-next-line no-control-regex
const escapes = /\x1b\[[0-9;]*[A-Za-z]/g;

/**
 * A table redrawn in place at the bottom of a terminal (cursor up, clear to the end of the screen, as
 * the progress spinner does). Everything else printed meanwhile must go through `io`, so that lines
 * scroll above the table instead of being overwritten by its next redraw.
 */
export function liveTable(options: LiveTableOptions): LiveTable {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const columns = options.columns ?? (() => process.stdout.columns);
  let shown: string[] = [];
  let rows = 0;
  let stopped = false;
  let refreshing = false;

  const erase = () => {
    if (rows > 0) write(`\x1b[${rows}A\r\x1b[0J`);
    rows = 0;
  };
  const draw = () => {
    if (stopped || shown.length === 0) return;
    write(shown.join('\n') + '\n');
    const width = columns() || Infinity;
    rows = shown.reduce((n, line) => n + Math.max(1, Math.ceil(line.replace(escapes, '').length / width)), 0);
  };
  const refresh = async () => {
    if (refreshing || stopped) return;
    refreshing = true;
    try {
      const next = await options.lines();
      if (stopped) return;
      erase();
      shown = next;
      draw();
    } catch {
      // A failed refresh keeps the previous table; the next tick tries again.
    } finally {
      refreshing = false;
    }
  };
  const above =
    (print: (line: string) => void) =>
    (line: string): void => {
      erase();
      print(line);
      draw();
    };

  const timer = setInterval(() => void refresh(), options.intervalMs ?? 2_000);
  timer.unref();
  void refresh();
  return {
    io: { ...options.io, out: above(options.io.out), err: above(options.io.err) },
    stop() {
      if (stopped) return;
      clearInterval(timer);
      erase();
      stopped = true;
    },
  };
}
