export interface Semver {
  major: number;
  minor: number;
  patch: number;
  prerelease: string;
}

const rule = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$/;

export function parseSemver(version: string): Semver {
  const m = rule.exec(version);
  if (!m) throw new Error(`${JSON.stringify(version)} is not a semver version`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ?? '' };
}

export function compareSemver(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (x.major !== y.major) return x.major - y.major;
  if (x.minor !== y.minor) return x.minor - y.minor;
  if (x.patch !== y.patch) return x.patch - y.patch;
  if (x.prerelease === y.prerelease) return 0;
  if (x.prerelease === '') return 1;
  if (y.prerelease === '') return -1;
  return x.prerelease < y.prerelease ? -1 : 1;
}

export type Bump = 'major' | 'minor' | 'patch' | 'none';

/** The bump from `from` to `to`; `none` when equal. 0.x versions follow the same rules as any other. */
export function bumpBetween(from: string, to: string): Bump {
  const x = parseSemver(from);
  const y = parseSemver(to);
  if (y.major !== x.major) return 'major';
  if (y.minor !== x.minor) return 'minor';
  if (y.patch !== x.patch || y.prerelease !== x.prerelease) return 'patch';
  return 'none';
}
