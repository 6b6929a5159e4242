import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { importTypeScript } from './import-typescript.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A package of ES modules in a temporary folder, with `files` written into it. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-import-ts-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('importTypeScript', () => {
  it('bundles the module with the files it imports, leaving packages as imports', async () => {
    const dir = project({
      'src/main.ts': `
        import { join } from 'node:path';
        import { double } from './lib/math.js';
        export const four: number = double(2);
        export const joined = join('a', 'b');
        export { here } from './lib/math.js';
      `,
      'src/lib/math.ts': `
        export const double = (n: number): number => n * 2;
        export const here = import.meta.url;
      `,
    });
    const module = await importTypeScript(join(dir, 'src/main.ts'));
    assert.equal(module.four, 4);
    assert.equal(module.joined, join('a', 'b'));
    // Each bundled file keeps its own import.meta.url.
    assert.equal(module.here, pathToFileURL(join(dir, 'src/lib/math.ts')).href);
    assert.deepEqual(
      readdirSync(join(dir, '.switchyard', 'build')).map((f) =>
        f.replace(/-[0-9a-f]{8}\.[0-9a-f]{16}\./, '.'),
      ),
      ['main.mjs'],
    );
  });

  it('imports a file outside the package by path as that file, not as a copy', async () => {
    const shared = project({ 'registry.mjs': 'export const registry = new Map();' });
    const sharedUrl = pathToFileURL(join(shared, 'registry.mjs')).href;
    const dir = project({
      'main.ts': `import { registry } from '${join(shared, 'registry.mjs')}';\nexport { registry };`,
    });
    const module = await importTypeScript(join(dir, 'main.ts'));
    const direct = (await import(sharedUrl)) as { registry: Map<unknown, unknown> };
    assert.equal(module.registry, direct.registry);
  });

  it('evaluates the module anew with `fresh`, and reads a changed file again', async () => {
    const dir = project({ 'config.ts': 'export const value = 1;\nexport const made = Symbol();' });
    const file = join(dir, 'config.ts');
    const first = await importTypeScript(file);
    assert.equal((await importTypeScript(file)).made, first.made, 'cached without fresh');
    assert.notEqual((await importTypeScript(file, { fresh: true })).made, first.made);
    writeFileSync(file, 'export const value = 2;');
    assert.equal((await importTypeScript(file)).value, 2);
  });

  it('names the file and line of a compile error', async () => {
    const dir = project({ 'broken.ts': 'export const x = ;\n' });
    await assert.rejects(
      importTypeScript(join(dir, 'broken.ts')),
      /broken\.ts: cannot compile: .*broken\.ts:1: /,
    );
  });
});
