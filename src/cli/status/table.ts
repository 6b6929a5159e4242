import type { Io } from '../io.js';
import type { StatusRow } from './collect.js';

type Style = Io['style'];
type Paint = (text: string, style: Style) => string;

interface Column {
  readonly title: string;
  readonly align: 'left' | 'right';
  text(row: StatusRow): string;
  /** Colour of a cell, applied after padding so that escapes never count toward the width. */
  paint?(row: StatusRow): Paint | undefined;
}

const dash = '-';
const rate = (value: number | null) => (value === null ? dash : value.toFixed(1));
const count = (value: number | null) => (value === null ? dash : String(Math.round(value)));

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return dash;
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

const green: Paint = (t, s) => s.green(t);
const yellow: Paint = (t, s) => s.yellow(t);
const red: Paint = (t, s) => s.red(t);

const stateColour: Record<string, Paint> = {
  ready: green,
  starting: yellow,
  restarting: yellow,
  stopping: yellow,
  failed: red,
  stopped: red,
};
const healthColour: Record<string, Paint> = { passing: green, warning: yellow, critical: red };

const columns: readonly Column[] = [
  { title: 'PROCESS', align: 'left', text: (r) => r.name },
  { title: 'STATE', align: 'left', text: (r) => r.state, paint: (r) => stateColour[r.state] },
  {
    title: 'HEALTH',
    align: 'left',
    text: (r) => r.health ?? dash,
    paint: (r) => (r.health ? healthColour[r.health] : undefined),
  },
  { title: 'REQ/S', align: 'right', text: (r) => rate(r.requestsPerSecond) },
  {
    title: 'ERR/S',
    align: 'right',
    text: (r) => rate(r.errorsPerSecond),
    paint: (r) => ((r.errorsPerSecond ?? 0) > 0 ? red : undefined),
  },
  { title: 'LAG', align: 'right', text: (r) => count(r.consumerLag) },
  { title: 'BACKLOG', align: 'right', text: (r) => count(r.outboxBacklog) },
  { title: 'RSS', align: 'right', text: (r) => formatBytes(r.rssBytes) },
  {
    title: 'RESTARTS',
    align: 'right',
    text: (r) => String(r.restarts),
    paint: (r) => (r.restarts > 0 ? yellow : undefined),
  },
];

/**
 * The status table as lines: a header and one line per process, columns padded to their widest cell
 * (numbers right-aligned), two spaces apart, no trailing spaces. Colours only through `style`, so a
 * plain style gives plain text.
 */
export function renderTable(rows: readonly StatusRow[], style: Style): string[] {
  const cells = rows.map((row) => columns.map((c) => c.text(row)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((line) => line[i]!.length)));
  const pad = (text: string, i: number) =>
    columns[i]!.align === 'left' ? text.padEnd(widths[i]!) : text.padStart(widths[i]!);
  const join = (parts: string[]) => parts.join('  ').trimEnd();
  const header = style.dim(join(columns.map((c, i) => pad(c.title, i))));
  const lines = rows.map((row, r) =>
    join(
      columns.map((column, i) => {
        const padded = pad(cells[r]![i]!, i);
        const paint = column.paint?.(row);
        if (!paint) return padded;
        // Colour the text only, so trailing padding stays plain and trimEnd still works.
        const trimmed = padded.trimEnd();
        return paint(trimmed, style) + padded.slice(trimmed.length);
      }),
    ),
  );
  return [header, ...lines];
}
