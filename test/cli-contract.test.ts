// `switchyard contract …` run as a child process, the way users and CI run it. Contract modules are
// written under .switchyard/tmp/ (gitignored) because a file outside the repository cannot resolve
// `switchyard/contract` by the package's self-reference.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadContracts } from '../src/cli/load-module.js';
import { snapshotFileName } from '../src/contract/history.js';
import { toSnapshot } from '../src/contract/snapshot.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const exec = promisify(execFile);
let tmp = '';

before(() => {
  mkdirSync(join(root, '.switchyard/tmp'), { recursive: true });
  tmp = mkdtempSync(join(root, '.switchyard/tmp/cli-contract-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source (or the built bin) and never throws on a non-zero exit. */
async function cli(args: string[], options: { built?: boolean } = {}): Promise<Run> {
  const argv = options.built
    ? [join(root, 'bin/switchyard.js'), ...args]
    : ['--conditions=source', '--import', 'tsx', join(root, 'src/cli/main.ts'), ...args];
  try {
    const { stdout, stderr } = await exec(process.execPath, argv, {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface ModuleOptions {
  version: string;
  /** Properties of the getOrder output, as TypeBox source. */
  output?: string;
  snapshots?: boolean;
  /** A second contract exported by the same module, as source. */
  extra?: string;
}

const defaultOutput = 'orderId: Type.String(), state: Type.String()';

function source(o: ModuleOptions): string {
  return `import { Type, contract, operation } from 'switchyard/contract';

export const Orders = contract({
  name: 'orders',
  version: '${o.version}',
  ${o.snapshots === false ? '' : "snapshots: new URL('./snapshots/', import.meta.url),"}
  operations: {
    getOrder: operation({
      input: Type.Object({ orderId: Type.String() }),
      output: Type.Object({ ${o.output ?? defaultOutput} }),
      http: { method: 'GET', path: '/orders/:orderId' },
      idempotent: true,
    }),
  },
});
${o.extra ?? ''}`;
}

let count = 0;
/** A fresh folder holding one contract module (and its snapshots folder). */
function project(o: ModuleOptions, file = 'orders.contract.ts'): { dir: string; module: string } {
  const dir = join(tmp, `p${++count}`);
  mkdirSync(dir, { recursive: true });
  const module = join(dir, file);
  writeFileSync(module, source(o));
  return { dir, module };
}

/** Releases the module's current contracts in-process (what `release` writes), then rewrites it. */
async function releasedThen(
  first: ModuleOptions,
  then: ModuleOptions,
): Promise<{ dir: string; module: string }> {
  const p = project(first);
  mkdirSync(join(p.dir, 'snapshots'));
  for (const c of await loadContracts(p.module))
    writeFileSync(
      join(p.dir, 'snapshots', snapshotFileName(c.name, c.version)),
      JSON.stringify(toSnapshot(c)),
    );
  writeFileSync(p.module, source(then));
  return p;
}

const removed = 'orderId: Type.String()'; // the state field removed: breaking
const added = `${defaultOutput}, total: Type.Integer()`; // a response field added: non-breaking

// Each test has its own folder, so they may run side by side; each spawns a CLI.
describe('switchyard contract check', { concurrency: 4 }, () => {
  const cases: [
    name: string,
    first: ModuleOptions | undefined,
    then: ModuleOptions,
    code: number,
    out: RegExp,
  ][] = [
    ['no history passes', undefined, { version: '1.0.0' }, 0, /ok orders@1\.0\.0: no released snapshot/],
    ['unchanged passes', { version: '1.0.0' }, { version: '1.0.0' }, 0, /unchanged since 1\.0\.0/],
    [
      'breaking + minor bump fails',
      { version: '1.0.0' },
      { version: '1.1.0', output: removed },
      1,
      /FAIL[^]*response-field-removed/,
    ],
    [
      'breaking + major bump passes',
      { version: '1.0.0' },
      { version: '2.0.0', output: removed },
      0,
      /ok orders@2\.0\.0/,
    ],
    [
      'additive + patch bump fails',
      { version: '1.0.0' },
      { version: '1.0.1', output: added },
      1,
      /need a minor bump/,
    ],
    [
      'additive + minor bump passes',
      { version: '1.0.0' },
      { version: '1.1.0', output: added },
      0,
      /covers 1 non-breaking/,
    ],
    ['version going backwards fails', { version: '1.2.0' }, { version: '1.1.0' }, 1, /went backwards/],
  ];
  for (const [name, first, then, code, out] of cases)
    test(name, async () => {
      const p = first ? await releasedThen(first, then) : project(then);
      const run = await cli(['contract', 'check', p.module]);
      assert.equal(run.code, code, run.stdout + run.stderr);
      assert.match(run.stdout, out);
    });

  test('checks every contract a module exports', async () => {
    const v2 = `export const OrdersV2 = contract({ name: 'orders', version: '2.0.0', snapshots: new URL('./snapshots/', import.meta.url) });`;
    const p = project({ version: '1.0.0', extra: v2 });
    const run = await cli(['contract', 'check', p.module]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /orders@1\.0\.0[^]*orders@2\.0\.0/);
    const one = await cli(['contract', 'check', p.module, '--contract', 'orders@2', '--json']);
    assert.deepEqual(
      (JSON.parse(one.stdout) as { version: string }[]).map((r) => r.version),
      ['2.0.0'],
    );
  });

  test('reads a JavaScript module', async () => {
    const p = project({ version: '1.0.0' }, 'orders.contract.mjs');
    const run = await cli(['contract', 'check', p.module]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /ok orders@1\.0\.0/);
  });
});

describe('switchyard contract release', () => {
  test('writes the snapshot, then is idempotent, then refuses a changed one unless --force', async () => {
    const p = project({ version: '1.0.0' });
    const file = join(p.dir, 'snapshots', 'orders@1.0.0.json');
    const first = await cli(['contract', 'release', p.module]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /released orders@1\.0\.0/);
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version, '1.0.0');
    assert.equal((await cli(['contract', 'release', p.module])).code, 0);

    writeFileSync(p.module, source({ version: '1.0.0', output: added }));
    const refused = await cli(['contract', 'release', p.module]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /different snapshot/);
    const forced = await cli(['contract', 'release', p.module, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(readFileSync(file, 'utf8'), /"total"/);
  });

  test('refuses when the check fails, and writes nothing', async () => {
    const p = await releasedThen({ version: '1.0.0' }, { version: '1.1.0', output: removed });
    const run = await cli(['contract', 'release', p.module]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /refused orders@1\.1\.0: the check failed/);
    assert.equal(existsSync(join(p.dir, 'snapshots', 'orders@1.1.0.json')), false);
  });

  test('refuses a contract without a snapshots folder, saying how to add one', async () => {
    const p = project({ version: '1.0.0', snapshots: false });
    const run = await cli(['contract', 'release', p.module]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /snapshots: new URL\('\.\/snapshots\/', import\.meta\.url\)/);
  });
});

describe('switchyard contract diff', () => {
  test('snapshot against module: table, required bump, --json, --fail-on', async () => {
    const p = await releasedThen({ version: '1.0.0' }, { version: '1.1.0', output: removed });
    const old = join(p.dir, 'snapshots', 'orders@1.0.0.json');
    const human = await cli(['contract', 'diff', old, p.module]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /breaking\s+operations\.getOrder\.output\.state\s+response-field-removed/);
    assert.match(human.stdout, /required bump: major \(1\.0\.0 → 1\.1\.0 is minor\)/);

    const json = await cli(['contract', 'diff', old, p.module, '--json']);
    const report = JSON.parse(json.stdout) as {
      contracts: { requiredBump: string; changes: { kind: string }[] }[];
    };
    assert.equal(report.contracts[0]?.requiredBump, 'major');
    assert.deepEqual(
      report.contracts[0]?.changes.map((c) => c.kind),
      ['response-field-removed'],
    );

    assert.equal((await cli(['contract', 'diff', old, p.module, '--fail-on', 'breaking'])).code, 1);
    assert.equal((await cli(['contract', 'diff', p.module, p.module, '--fail-on', 'patch'])).code, 0);
    assert.equal((await cli(['contract', 'diff', old])).code, 2);
  });
});

describe('switchyard contract export', () => {
  test('openapi to a file, proto to stdout', async () => {
    const p = project({ version: '1.0.0' });
    const out = join(p.dir, 'openapi.json');
    const run = await cli(['contract', 'export', p.module, '--format', 'openapi', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(readFileSync(out, 'utf8')) as { openapi: string }).openapi, '3.1.0');
    const proto = await cli(['contract', 'export', p.module, '--format', 'proto']);
    assert.match(proto.stdout, /syntax = "proto3";/);
    const yaml = await cli(['contract', 'export', p.module, '--format', 'asyncapi', '--yaml']);
    assert.match(yaml.stdout, /^asyncapi: 3\.0\.0/m);
  });
});

describe('the built bin', () => {
  test('checks a TypeScript contract, resolving switchyard/contract to dist', async () => {
    // scripts/test.sh builds before testing; a missing build is a failure, not a skip.
    assert.ok(existsSync(join(root, 'dist/cli/commands/contract.js')), 'dist is not built: npm run build');
    const p = await releasedThen({ version: '1.0.0' }, { version: '1.1.0', output: removed });
    const run = await cli(['contract', 'check', p.module], { built: true });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /FAIL orders@1\.1\.0/);
    writeFileSync(p.module, source({ version: '2.0.0', output: removed }));
    const ok = await cli(['contract', 'check', p.module], { built: true });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  });
});
