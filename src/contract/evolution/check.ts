import { baselineFor, readHistory } from '../history.js';
import { bumpBetween, compareSemver, parseSemver, type Bump } from '../semver.js';
import { toSnapshot, type ContractSnapshot } from '../snapshot.js';
import type { AnyContract } from '../types.js';
import { bumpRank, diffContracts, requiredBump } from './diff.js';
import type { Change } from './rules.js';

/**
 * The versioning rules `switchyard contract check` (and `release`) enforce against the last release:
 * - a breaking change needs a major bump, a non-breaking one at least a minor, a patch-class
 *   (documentation) change at least a patch: once released, a version's snapshot never changes, so
 *   any change at all needs a new version;
 * - the version never goes backwards;
 * - 0.x gets no special treatment (bumpBetween has none): a breaking change in 0.3.0 needs 1.0.0.
 *   Pre-1.0 leniency hides breakage from the very clients that adopt early;
 * - a prerelease baseline (2.0.0-rc.1) promises nothing to its own line: a later prerelease or the
 *   release itself (2.0.0-rc.2, 2.0.0) may carry any change, as semver says prereleases are unstable.
 */
export interface CheckResult {
  readonly ok: boolean;
  readonly name: string;
  readonly version: string;
  /** The released version judged against; undefined when nothing was released yet. */
  readonly baseline: string | undefined;
  readonly changes: readonly Change[];
  readonly requiredBump: Bump;
  /** The bump from the baseline to the working version; undefined without a baseline. */
  readonly versionBump: Bump | undefined;
  /** One line: why it passed or failed. */
  readonly summary: string;
}

export interface CheckOptions {
  readonly now?: Date;
}

/** Judges a working snapshot against the release it follows. */
export function checkSnapshots(
  baseline: ContractSnapshot | undefined,
  working: ContractSnapshot,
  options: CheckOptions = {},
): CheckResult {
  const base = { name: working.name, version: working.version };
  if (!baseline)
    return {
      ...base,
      ok: true,
      baseline: undefined,
      changes: [],
      requiredBump: 'none',
      versionBump: undefined,
      summary: 'no released snapshot; run `switchyard contract release`',
    };
  const changes = diffContracts(baseline, working, options.now ? { now: options.now } : {});
  const required = requiredBump(changes);
  const result = { ...base, baseline: baseline.version, changes, requiredBump: required };
  if (compareSemver(working.version, baseline.version) < 0)
    return {
      ...result,
      ok: false,
      versionBump: undefined,
      summary: `version went backwards: ${working.version} is older than the released ${baseline.version}`,
    };
  const bump = bumpBetween(baseline.version, working.version);
  const from = `${baseline.version} → ${working.version}`;
  if (changes.length === 0)
    return { ...result, ok: true, versionBump: bump, summary: `unchanged since ${baseline.version}` };
  if (bumpRank(bump) >= bumpRank(required) || unstableLine(baseline.version, working.version))
    return { ...result, ok: true, versionBump: bump, summary: `${from} (${bump}) covers ${count(changes)}` };
  const summary =
    bump === 'none'
      ? `${count(changes)} since the release of ${baseline.version}, but the version was not bumped (needs ${required})`
      : `${count(changes)} since ${baseline.version} need a ${required} bump, but ${from} is ${bump}`;
  return { ...result, ok: false, versionBump: bump, summary };
}

/** Checks a contract against its snapshots folder (or the history given). */
export function checkContract(
  contract: AnyContract,
  options: CheckOptions & { readonly history?: readonly ContractSnapshot[] } = {},
): CheckResult & { readonly snapshot: ContractSnapshot } {
  const history = options.history ?? readHistory(contract);
  const baseline = baselineFor(history, contract.version);
  const snapshot = toSnapshot(contract, baseline);
  return { ...checkSnapshots(baseline, snapshot, options), snapshot };
}

function unstableLine(baseline: string, working: string): boolean {
  const a = parseSemver(baseline);
  const b = parseSemver(working);
  return a.prerelease !== '' && a.major === b.major && a.minor === b.minor && a.patch === b.patch;
}

function count(changes: readonly Change[]): string {
  const by = (cls: Change['class']) => changes.filter((c) => c.class === cls).length;
  const parts = [
    [by('breaking'), 'breaking'],
    [by('non-breaking'), 'non-breaking'],
    [by('patch'), 'patch-level'],
  ] as const;
  const text = parts
    .filter(([n]) => n > 0)
    .map(([n, label]) => `${n} ${label}`)
    .join(', ');
  return `${text} change${changes.length === 1 ? '' : 's'}`;
}
