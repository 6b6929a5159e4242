import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Loader, Plugin } from 'esbuild';

/**
 * Imports a TypeScript module (a service, a gateway configuration, a traffic driver) without a build
 * step of the user's: esbuild bundles it with the project files it imports (packages stay imports)
 * into one ES module under `<package root>/.switchyard/build/`, and Node imports that.
 *
 * Not a loader such as tsx's: Node 20 runs module hooks in a thread of their own for the life of the
 * process, about 45 MiB resident in every service process of `switchyard up`. esbuild's own process
 * is stopped once the bundle is written.
 *
 * Only the package's own files are bundled; packages, and files outside the package (imported by
 * path), stay imports. The bundle sits inside the package, so those resolve as the module's would
 * (`node_modules`, the package's own name); `import.meta.url`, `filename` and `dirname` are those of
 * each original file. Each import bundles afresh, so a module changed since is read anew; with
 * `fresh`, an unchanged one is evaluated anew too (the gateway's reload), otherwise Node's module
 * cache serves it.
 */
export async function importTypeScript(
  file: string,
  options: { fresh?: boolean } = {},
): Promise<Record<string, unknown>> {
  const esbuild = await loadEsbuild();
  const root = packageRoot(file);
  let code: Uint8Array;
  building++;
  try {
    const result = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      packages: 'external',
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      sourcemap: 'inline',
      write: false,
      logLevel: 'silent',
      plugins: [originalModuleUrls, onlyPackageFiles(root)],
    });
    code = result.outputFiles[0]!.contents;
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number } }[] })
      .errors;
    if (!errors?.length) throw error;
    const first = errors[0]!;
    const where = first.location ? `${first.location.file}:${first.location.line}: ` : '';
    throw new Error(`${file}: cannot compile: ${where}${first.text}`, { cause: error });
  } finally {
    if (--building === 0) await esbuild.stop();
  }
  const dir = join(root, '.switchyard', 'build');
  // Named by the module's path (many services are a `service.ts`) and by what the bundle holds.
  const name = `${basename(file, extname(file))}-${digest(file).slice(0, 8)}`;
  const out = join(dir, `${name}.${digest(code).slice(0, 16)}.mjs`);
  // Touched when used again, so that pruning goes by the last use.
  if (existsSync(out)) utimesSync(out, new Date(), new Date());
  else {
    mkdirSync(dir, { recursive: true });
    // Written aside and renamed: replicas started together bundle the same module at once.
    const partial = `${out}.${process.pid}.partial`;
    writeFileSync(partial, code);
    renameSync(partial, out);
    pruneOlder(dir, name, out);
  }
  const url = pathToFileURL(out).href;
  return (await import(options.fresh ? `${url}?v=${++evaluation}` : url)) as Record<string, unknown>;
}

function digest(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Bundles in progress in this process: esbuild's process is stopped once none is. */
let building = 0;
let evaluation = 0;

/** The nearest folder above `file` with a package.json (else the file's own folder). */
function packageRoot(file: string): string {
  for (let dir = dirname(file); ;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return dirname(file);
    dir = parent;
  }
}

/** Earlier bundles of the same module, once nobody can be about to import them (unused for an hour). */
function pruneOlder(dir: string, name: string, keep: string): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (path === keep || !entry.startsWith(`${name}.`)) continue;
    try {
      if (statSync(path).mtimeMs < hourAgo) unlinkSync(path);
    } catch {
      // removed by another process meanwhile
    }
  }
}

const loaders: Record<string, Loader> = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.jsx': 'jsx',
};

/** Each project file's `import.meta.url` (and `filename`, `dirname`) as the file itself would see it. */
const originalModuleUrls: Plugin = {
  name: 'switchyard-original-module-urls',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const source = await readFile(args.path, 'utf8');
      const values: Record<string, string> = {
        url: pathToFileURL(args.path).href,
        filename: args.path,
        dirname: dirname(args.path),
      };
      return {
        contents: source.replace(/\bimport\.meta\.(url|filename|dirname)\b/g, (_, key: string) =>
          JSON.stringify(values[key]),
        ),
        loader: loaders[extname(args.path)] ?? 'ts',
      };
    });
  },
};

const resolving = Symbol('resolving');

/** Files imported by path from outside `root` stay imports of those files, not copies in the bundle. */
function onlyPackageFiles(root: string): Plugin {
  const inside = root.endsWith(sep) ? root : root + sep;
  return {
    name: 'switchyard-only-package-files',
    setup(build) {
      build.onResolve({ filter: /^(\.|\/|file:)/ }, async (args) => {
        if (args.pluginData === resolving) return undefined;
        const found = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: resolving,
        });
        if (found.errors.length > 0 || found.external) return found;
        if (found.path.startsWith(inside) && !found.path.includes(`${sep}node_modules${sep}`)) return found;
        return { path: pathToFileURL(found.path).href, external: true };
      });
    },
  };
}

async function loadEsbuild(): Promise<typeof import('esbuild')> {
  try {
    const mod = await import('esbuild');
    // esbuild is CommonJS; depending on the loader its exports arrive as named exports or on `default`.
    return (mod as { build?: unknown }).build ? mod : (mod as unknown as { default: typeof mod }).default;
  } catch (error) {
    // Only a missing esbuild gets the install hint; any other failure is reported as it is.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error('loading a TypeScript module needs esbuild: npm install esbuild (or pass a .js module)');
  }
}
