/** Module hooks for `compiled.mjs`: a source file of the package resolves to its compiled twin. */
import { existsSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

const src = new URL('../../src/', import.meta.url).href;
const dist = new URL('../../dist/', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (!resolved.url.startsWith(src) || !resolved.url.endsWith('.ts')) return resolved;
  const compiled = `${dist}${resolved.url.slice(src.length, -'.ts'.length)}.js`;
  if (!existsSync(fileURLToPath(compiled)))
    throw new Error(`${compiled} is missing: run \`npm run build\` before the benchmarks`);
  return { url: compiled, format: 'module', shortCircuit: true };
}
