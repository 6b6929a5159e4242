import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { compareSemver, parseSemver } from './semver.js';
import type { ContractSnapshot } from './snapshot.js';
import type { AnyContract } from './types.js';

/** `<name>@<version>.json` in the contract's snapshots folder. */
export function snapshotFileName(name: string, version: string): string {
  return `${name}@${version}.json`;
}

export function readSnapshotFile(path: string): ContractSnapshot {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as ContractSnapshot;
  if (parsed.snapshot !== 1 || typeof parsed.name !== 'string' || typeof parsed.version !== 'string')
    throw new Error(`${path} is not a contract snapshot`);
  return parsed;
}

/** Every released snapshot of this contract's name, oldest first. */
export function readHistory(
  contract: AnyContract,
  folder: URL | string | undefined = contract.snapshots,
): ContractSnapshot[] {
  if (folder === undefined) return [];
  const dir = typeof folder === 'string' ? folder : fileURLToPath(folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.startsWith(`${contract.name}@`) && file.endsWith('.json'))
    .map((file) => readSnapshotFile(join(dir, file)))
    .sort((a, b) => compareSemver(a.version, b.version));
}

/**
 * The release a working version is judged against: the newest of the same major line, or, for the
 * first version of a new major, the newest release before it. Several majors can live side by side.
 */
export function baselineFor(
  history: readonly ContractSnapshot[],
  version: string,
): ContractSnapshot | undefined {
  const major = parseSemver(version).major;
  const sameLine = history.filter((s) => parseSemver(s.version).major === major);
  if (sameLine.length > 0) return sameLine[sameLine.length - 1];
  const older = history.filter((s) => parseSemver(s.version).major < major);
  return older[older.length - 1];
}
