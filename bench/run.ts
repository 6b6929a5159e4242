/**
 * Runs the benchmark cases in bench/cases/*.ts and writes docs/benchmarks.{json,md}.
 *
 *   npm run bench              every case
 *   npm run bench -- inproc    cases whose name or group contains "inproc"; other rows are kept
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as prettier from 'prettier';
import { type BenchCase, type BenchGroup, type BenchModule, type BenchRecord, ratioOf } from './case.js';
import { consumeSink } from './measure.js';
import {
  formatFigure,
  formatRatio,
  goalStatus,
  machineFacts,
  mergeRecords,
  parseRecords,
  renderMarkdown,
  roundFigure,
  roundRatio,
} from './report.js';

const casesDir = new URL('./cases/', import.meta.url);
const docsDir = new URL('../docs/', import.meta.url);
const jsonFile = new URL('benchmarks.json', docsDir);
const mdFile = new URL('benchmarks.md', docsDir);

const tty = process.stderr.isTTY === true;
const colour = tty && !process.env.NO_COLOR;
const paint = (code: number, text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);

async function loadCases(): Promise<{ cases: BenchCase[]; groups: BenchGroup[]; failed: boolean }> {
  const files = (await readdir(casesDir))
    .filter((f) => /^[^.].*\.ts$/.test(f) && !/\.(d|test)\.ts$/.test(f))
    .sort();
  const cases: BenchCase[] = [];
  const groups: BenchGroup[] = [];
  let failed = false;
  for (const file of files) {
    try {
      const module = (await import(new URL(file, casesDir).href)) as Partial<BenchModule>;
      if (!Array.isArray(module.cases)) throw new Error('exports no `cases` array');
      cases.push(...module.cases);
      groups.push(...(module.groups ?? []));
    } catch (error) {
      failed = true;
      process.stderr.write(`${paint(31, 'error')} bench/cases/${file}: ${String(error)}\n`);
    }
  }
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.name)) throw new Error(`two benchmark cases are named ${JSON.stringify(c.name)}`);
    seen.add(c.name);
  }
  return { cases, groups, failed };
}

/** One status line per case: animated on a terminal, plain lines otherwise. */
function progress() {
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let timer: NodeJS.Timeout | undefined;
  let label = '';
  let started = 0;
  const draw = (frame: string) => {
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    process.stderr.write(`\r\x1b[2K${paint(36, frame)} ${label} ${paint(2, `${seconds}s`)}`);
  };
  return {
    start(text: string) {
      label = text;
      started = performance.now();
      if (!tty) return void process.stderr.write(`${text} …\n`);
      let i = 0;
      draw(frames[0]!);
      // Coarse on purpose: the spinner must not compete with what is being measured.
      timer = setInterval(() => draw(frames[++i % frames.length]!), 250);
    },
    finish(ok: boolean, text: string) {
      clearInterval(timer);
      const mark = ok ? paint(32, '✓') : paint(31, '✗');
      process.stderr.write(
        tty ? `\r\x1b[2K${mark} ${label}\n  ${text}\n` : `  ${ok ? 'ok' : 'FAILED'} ${text}\n`,
      );
    },
  };
}

function describe(c: BenchCase, record: BenchRecord): string {
  const status = goalStatus(c, record);
  const goal =
    status === undefined
      ? ''
      : ` — goal ≥ ${c.goal!.minRatio.toFixed(2)}: ${paint(status === 'met' ? 32 : 31, status)}`;
  return (
    `${formatFigure(record.switchyard)} vs ${formatFigure(record.baseline)} ${record.unit} ` +
    `(${record.baselineName}), ratio ${formatRatio(record.ratio)}${goal}`
  );
}

/** The repository's Prettier settings, so `npm run lint` accepts what this writes. */
async function formatted(file: URL, text: string): Promise<string> {
  const filepath = fileURLToPath(file);
  const options = await prettier.resolveConfig(filepath);
  return prettier.format(text, { ...options, filepath });
}

async function main(): Promise<void> {
  const filter = process.argv[2]?.trim() || undefined;
  const { cases, groups, failed: loadFailed } = await loadCases();
  const wanted = filter?.toLowerCase();
  const selected = wanted
    ? cases.filter((c) => c.name.toLowerCase().includes(wanted) || c.group.toLowerCase().includes(wanted))
    : cases;
  if (selected.length === 0) {
    process.stderr.write(`No case matches ${JSON.stringify(filter)}. Cases:\n`);
    for (const c of cases) process.stderr.write(`  ${c.group} › ${c.name}\n`);
    process.exitCode = 1;
    return;
  }

  const line = progress();
  const began = performance.now();
  const fresh: BenchRecord[] = [];
  let failures = 0;
  for (const [i, c] of selected.entries()) {
    line.start(`[${i + 1}/${selected.length}] ${c.group} › ${c.name}`);
    try {
      const result = await c.run();
      if (!(
        result.switchyard > 0 &&
        result.baseline > 0 &&
        Number.isFinite(result.switchyard + result.baseline)
      ))
        throw new Error(`implausible figures: ${result.switchyard} vs ${result.baseline}`);
      const record: BenchRecord = {
        case: c.name,
        unit: c.unit,
        switchyard: roundFigure(result.switchyard),
        baseline: roundFigure(result.baseline),
        baselineName: result.baselineName,
        ratio: roundRatio(ratioOf(c.higherIsBetter, result)),
        group: c.group,
        ...(result.notes ? { notes: result.notes } : {}),
      };
      fresh.push(record);
      line.finish(true, describe(c, record));
    } catch (error) {
      failures++;
      line.finish(false, error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
  }
  consumeSink();

  const previous = await readFile(jsonFile, 'utf8').then(parseRecords, () => []);
  const records = mergeRecords(
    filter ? previous : [],
    fresh,
    cases.map((c) => c.name),
  );
  await mkdir(docsDir, { recursive: true });
  await writeFile(jsonFile, await formatted(jsonFile, JSON.stringify(records, null, 2)));
  await writeFile(
    mdFile,
    await formatted(mdFile, renderMarkdown({ records, cases, groups, machine: machineFacts(), filter })),
  );
  process.stderr.write(
    `wrote docs/benchmarks.json and docs/benchmarks.md (${fresh.length} of ${records.length} rows updated) in ${((performance.now() - began) / 1000).toFixed(0)}s\n`,
  );
  if (failures > 0 || loadFailed) process.exitCode = 1;
}

await main();
