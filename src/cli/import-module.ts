import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Imports a user module given by path: JavaScript natively, TypeScript through tsx, so contracts and
 * services can be used without a build step.
 */
export async function importModule(path: string, cwd = process.cwd()): Promise<Record<string, unknown>> {
  const absolute = resolve(cwd, path);
  if (!existsSync(absolute)) throw new Error(`${path}: no such file`);
  if (/\.(c|m)?tsx?$/.test(absolute)) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(pathToFileURL(absolute).href, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
}
