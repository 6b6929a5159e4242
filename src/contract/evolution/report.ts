import type { Bump } from '../semver.js';
import type { CheckResult } from './check.js';
import { bumpRank, requiredBump } from './diff.js';
import type { Change, ChangeClass } from './rules.js';

/** How text is painted; the CLI passes its terminal styles, everything else gets plain text. */
export interface ReportStyle {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const plain = (text: string) => text;
export const plainStyle: ReportStyle = { bold: plain, dim: plain, red: plain, green: plain, yellow: plain };

const classOrder: readonly ChangeClass[] = ['breaking', 'non-breaking', 'patch'];

/** Changes as an aligned table, breaking ones first; padding is measured before painting. */
export function formatChanges(changes: readonly Change[], style: ReportStyle = plainStyle): string[] {
  if (changes.length === 0) return [style.dim('no changes')];
  const rows = [...changes].sort((a, b) => classOrder.indexOf(a.class) - classOrder.indexOf(b.class));
  const header = { class: 'CLASS', location: 'LOCATION', kind: 'KIND', message: 'CHANGE' };
  const width = (key: 'class' | 'location' | 'kind') =>
    Math.max(header[key].length, ...rows.map((r) => r[key].length));
  const [wc, wl, wk] = [width('class'), width('location'), width('kind')];
  const paint = (cls: ChangeClass, text: string) =>
    cls === 'breaking' ? style.red(text) : cls === 'non-breaking' ? style.yellow(text) : style.dim(text);
  return [
    style.bold(
      `${header.class.padEnd(wc)}  ${header.location.padEnd(wl)}  ${header.kind.padEnd(wk)}  ${header.message}`,
    ),
    ...rows.map(
      (r) =>
        `${paint(r.class, r.class.padEnd(wc))}  ${r.location.padEnd(wl)}  ${style.dim(r.kind.padEnd(wk))}  ${r.message}`,
    ),
  ];
}

export interface DiffReport {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly changes: readonly Change[];
  readonly requiredBump: Bump;
  /** The bump the two versions actually differ by. */
  readonly versionBump: Bump;
}

export function formatDiff(report: DiffReport, style: ReportStyle = plainStyle): string[] {
  const enough = bumpCovers(report.versionBump, report.requiredBump);
  const verdict = `required bump: ${style.bold(report.requiredBump)} (${report.from} → ${report.to} is ${report.versionBump})`;
  return [
    style.bold(`${report.name} ${report.from} → ${report.to}`),
    ...formatChanges(report.changes, style),
    enough ? verdict : style.red(verdict),
  ];
}

export function formatCheck(result: CheckResult, style: ReportStyle = plainStyle): string[] {
  const head = `${result.name}@${result.version}`;
  if (result.ok) return [`${style.green('ok')} ${head}: ${result.summary}`];
  const failing = result.changes.filter((c) => !bumpCovers(result.versionBump ?? 'none', requiredBump([c])));
  return [
    `${style.red('FAIL')} ${head}: ${result.summary}`,
    ...(failing.length > 0 ? formatChanges(failing, style) : []),
  ];
}

function bumpCovers(actual: Bump, required: Bump): boolean {
  return bumpRank(actual) >= bumpRank(required);
}
