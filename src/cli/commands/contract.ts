import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import {
  checkContract,
  diffContracts,
  formatCheck,
  formatDiff,
  requiredBump,
} from '../../contract/evolution/index.js';
import type { CheckResult, Change } from '../../contract/evolution/index.js';
import { baselineFor, readHistory, readSnapshotFile, snapshotFileName } from '../../contract/history.js';
import { bumpBetween } from '../../contract/semver.js';
import { toSnapshot, type ContractSnapshot } from '../../contract/snapshot.js';
import type { AnyContract } from '../../contract/types.js';
import type { Io } from '../io.js';
import { label, loadContracts, pickContracts } from '../load-module.js';

const help = `Usage: switchyard contract <subcommand> [options]

  diff <old> <new>      every change between two versions, its class, and the bump it needs
                        (<old>/<new>: a contract module .ts/.js, or a snapshot .json)
      --contract <name[@major|@version]>   which contract, when a module holds several
      --json                               machine-readable output
      --fail-on breaking|non-breaking|patch  exit 1 when a change of that class (or worse) is found
  check <module>        compare the working contract with its last released snapshot;
                        exit 1 when the version bump does not cover the changes
      --contract <name[@major|@version]>   --json
  release <module>      check, then write <snapshots>/<name>@<version>.json
      --contract <name[@major|@version]>   --force   overwrite a different snapshot of this version
  export <module> --format openapi|asyncapi|proto [--out <file>] [--yaml] [--contract <name>]`;

/** Exit codes: 0 fine, 1 the check failed (or --fail-on matched), 2 bad usage. */
export async function run(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'diff':
      return diff(rest, io);
    case 'check':
      return check(rest, io);
    case 'release':
      return release(rest, io);
    case 'export':
      return exportContract(rest, io);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.out(help);
      return sub === undefined ? 2 : 0;
    default:
      return usage(io, `unknown subcommand ${JSON.stringify(sub)}`);
  }
}

function usage(io: Io, problem: string): number {
  io.err(`switchyard contract: ${problem}\n\n${help}`);
  return 2;
}

const selector = { contract: { type: 'string' }, json: { type: 'boolean' } } as const;

/** One side of a diff: a snapshot as released, or a module's contract, numbered as its release would be. */
interface Side {
  readonly name: string;
  readonly version: string;
  readonly major: number;
  snapshot(previous?: ContractSnapshot): ContractSnapshot;
}

async function loadSides(path: string, pick: string | undefined): Promise<Side[]> {
  if (extname(path) === '.json') {
    const snapshot = readSnapshotFile(path);
    const major = Number(snapshot.version.split('.')[0]);
    const side = { name: snapshot.name, version: snapshot.version, major, snapshot: () => snapshot };
    return pickContracts([side], pick);
  }
  return pickContracts(await loadContracts(path), pick).map((contract) => ({
    name: contract.name,
    version: contract.version,
    major: contract.major,
    // Without a previous version to follow, numbers come from the contract's own release history.
    snapshot: (previous) =>
      toSnapshot(contract, previous ?? baselineFor(readHistory(contract), contract.version)),
  }));
}

/** Pairs contracts by name (and by major when a name has several); a lone pair always matches. */
function pairSides(olds: Side[], news: Side[], io: Io): [Side, Side][] {
  if (olds.length === 1 && news.length === 1) return [[olds[0]!, news[0]!]];
  const pairs: [Side, Side][] = [];
  for (const next of news) {
    const same = olds.filter((old) => old.name === next.name);
    const old = same.length === 1 ? same[0] : same.find((s) => s.major === next.major);
    if (old) pairs.push([old, next]);
    else io.err(io.style.dim(`${label(next)} has no counterpart on the old side; skipped`));
  }
  if (pairs.length === 0) throw new Error('no contract appears on both sides; pick one with --contract');
  return pairs;
}

const classes = ['patch', 'non-breaking', 'breaking'] as const;

async function diff(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...selector, 'fail-on': { type: 'string' } },
  });
  if (positionals.length !== 2) return usage(io, 'diff takes <old> and <new>');
  const failOn = values['fail-on'];
  if (failOn !== undefined && !(classes as readonly string[]).includes(failOn))
    return usage(io, `--fail-on takes ${classes.join(', ')}`);
  const [oldPath, newPath] = positionals as [string, string];
  const pairs = pairSides(
    await loadSides(oldPath, values.contract),
    await loadSides(newPath, values.contract),
    io,
  );
  const reports = pairs.map(([old, next]) => {
    const before = old.snapshot();
    const changes = diffContracts(before, next.snapshot(before));
    return {
      name: next.name,
      from: old.version,
      to: next.version,
      requiredBump: requiredBump(changes),
      versionBump: bumpBetween(old.version, next.version),
      changes,
    };
  });
  if (values.json) io.out(JSON.stringify({ contracts: reports }, null, 2));
  else io.out(reports.map((report) => formatDiff(report, io.style).join('\n')).join('\n\n'));
  const threshold = failOn === undefined ? Infinity : classes.indexOf(failOn as Change['class']);
  const failed = reports.some((r) => r.changes.some((c) => classes.indexOf(c.class) >= threshold));
  return failed ? 1 : 0;
}

async function check(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: selector });
  if (positionals.length !== 1) return usage(io, 'check takes one contract module');
  const contracts = pickContracts(await loadContracts(positionals[0]!), values.contract);
  const results = contracts.map((contract) => checkContract(contract));
  if (values.json)
    io.out(
      JSON.stringify(
        results.map(({ snapshot: _snapshot, ...result }) => result),
        null,
        2,
      ),
    );
  else
    for (const result of results)
      io.out(formatCheck(withoutFolderHint(result, contracts), io.style).join('\n'));
  return results.every((r) => r.ok) ? 0 : 1;
}

const folderHint = "add `snapshots: new URL('./snapshots/', import.meta.url)` to the contract";

/** A contract with no snapshots folder can never be checked; say how to fix that, not just "no snapshot". */
function withoutFolderHint(result: CheckResult, contracts: readonly AnyContract[]): CheckResult {
  const contract = contracts.find((c) => c.name === result.name && c.version === result.version);
  if (contract?.snapshots || result.baseline !== undefined) return result;
  return {
    ...result,
    summary: `no snapshots folder declared; ${folderHint} and run \`switchyard contract release\``,
  };
}

async function release(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { contract: selector.contract, force: { type: 'boolean' } },
  });
  if (positionals.length !== 1) return usage(io, 'release takes one contract module');
  const contracts = pickContracts(await loadContracts(positionals[0]!), values.contract);
  let failed = false;
  // Oldest first, so the first release of a new major is judged against the release just written.
  for (const contract of contracts) if (!releaseOne(contract, values.force === true, io)) failed = true;
  return failed ? 1 : 0;
}

function releaseOne(contract: AnyContract, force: boolean, io: Io): boolean {
  const name = label(contract);
  if (!contract.snapshots) {
    io.err(`${io.style.red('refused')} ${name}: no snapshots folder; ${folderHint}`);
    return false;
  }
  const folder = fileURLToPath(contract.snapshots);
  const file = join(folder, snapshotFileName(contract.name, contract.version));
  let history = readHistory(contract);
  if (existsSync(file)) {
    const existing = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const again = toSnapshot(contract, baselineFor(history, contract.version));
    if (isDeepStrictEqual(existing, JSON.parse(JSON.stringify(again)))) {
      io.out(`${io.style.green('ok')} ${name} is already released (${relative(process.cwd(), file)})`);
      return true;
    }
    if (!force) {
      io.err(
        `${io.style.red('refused')} ${name}: ${relative(process.cwd(), file)} holds a different snapshot`,
      );
      io.err('  a released version never changes: bump the version, or pass --force to replace it');
      return false;
    }
    // Replacing a release: judge the contract against what came before that release.
    history = history.filter((s) => s.version !== contract.version);
  }
  const result = checkContract(contract, { history });
  if (!result.ok) {
    io.err(formatCheck(result, io.style).join('\n'));
    io.err(`${io.style.red('refused')} ${name}: the check failed`);
    return false;
  }
  mkdirSync(folder, { recursive: true });
  writeFileSync(file, JSON.stringify(result.snapshot, null, 2) + '\n');
  const why = result.baseline === undefined ? 'first release' : result.summary;
  io.out(`${io.style.green('released')} ${name} → ${relative(process.cwd(), file)} (${why})`);
  return true;
}

const formats = ['openapi', 'asyncapi', 'proto'] as const;

async function exportContract(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      contract: selector.contract,
      format: { type: 'string' },
      out: { type: 'string' },
      yaml: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) return usage(io, 'export takes one contract module');
  const format = values.format as (typeof formats)[number] | undefined;
  if (format === undefined || !formats.includes(format))
    return usage(io, `--format takes ${formats.join(', ')}`);
  if (values.yaml && format === 'proto') return usage(io, '--yaml applies to openapi and asyncapi only');
  const contracts = pickContracts(await loadContracts(positionals[0]!), values.contract);
  // OpenAPI puts several contracts (v1 and v2) in one document; AsyncAPI and .proto describe one.
  if (format !== 'openapi' && contracts.length > 1)
    throw new Error(
      `the module holds ${contracts.map(label).join(', ')}; pick one with --contract name@major`,
    );
  const text = await render(format, contracts, values.yaml === true);
  if (values.out === undefined) io.out(text.trimEnd());
  else {
    writeFileSync(values.out, text.endsWith('\n') ? text : text + '\n');
    io.out(`wrote ${values.out}`);
  }
  return 0;
}

async function render(
  format: (typeof formats)[number],
  contracts: AnyContract[],
  yaml: boolean,
): Promise<string> {
  // Exporters load only when exporting: check and diff in CI need none of them.
  let document: object;
  if (format === 'proto') return (await import('../../contract/export/proto.js')).exportProto(contracts[0]!);
  if (format === 'openapi')
    document = (await import('../../contract/export/openapi.js')).exportOpenApi(contracts);
  else document = (await import('../../contract/export/asyncapi.js')).exportAsyncApi(contracts[0]!);
  if (!yaml) return JSON.stringify(document, null, 2);
  return (await import('yaml')).stringify(document);
}
