import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importTypeScript } from '../internal/import-typescript.js';

const typescript = new Set(['.ts', '.mts', '.cts', '.tsx']);
const javascript = new Set(['.js', '.mjs', '.cjs']);

/**
 * Imports a user module (contract, service, traffic driver) by path: JavaScript natively, TypeScript
 * bundled by esbuild first (see internal/import-typescript.ts), so the built CLI reads `.ts` files
 * without a build step. Inside such a module `switchyard/...` resolves by the package's
 * self-reference: to src/ under `--conditions=source`, to dist/ otherwise.
 */
export async function importModule(path: string, cwd = process.cwd()): Promise<Record<string, unknown>> {
  const absolute = resolve(cwd, path);
  if (!existsSync(absolute)) throw new Error(`${path}: no such file`);
  const extension = extname(absolute);
  const url = pathToFileURL(absolute).href;
  if (typescript.has(extension)) return importTypeScript(absolute);
  if (javascript.has(extension)) return (await import(url)) as Record<string, unknown>;
  throw new Error(`${path}: a module is a .ts, .mts, .js or .mjs file`);
}
