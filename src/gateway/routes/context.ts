import type { LoadedConfig } from '../config/read.js';
import { configError } from '../config/errors.js';
import type { CanarySpec, MatchSpec, RouteSpec } from '../config/schema.js';
import type { ChainChoice } from '../handlers/operation.js';
import type { Flags } from '../policies/seams.js';
import { headerMatcher, hostMatcher } from '../routing/conditions.js';
import type { Routable } from '../routing/router.js';
import type { ForwardTarget, Upstreams } from '../upstream/upstreams.js';
import { canaryChoice, fixedChoice } from './canary.js';

/** What routes are built from. */
export interface BuildContext {
  readonly config: LoadedConfig;
  readonly upstreams: Upstreams;
  readonly flags: Flags | undefined;
  readonly bodyBytes: number;
  readonly authenticates: boolean;
}

/** The host and header conditions of a match. */
export function conditionsOf(match: MatchSpec | undefined): Pick<Routable, 'host' | 'headers'> {
  return {
    host: match?.host === undefined ? undefined : hostMatcher(match.host),
    headers: match?.headers === undefined ? undefined : headerMatcher(match.headers),
  };
}

/** The chain of a forwarding route, with its canary when it has one. */
export function choiceOf(
  b: BuildContext,
  target: ForwardTarget,
  canary: CanarySpec | undefined,
  at: (string | number)[],
): ChainChoice {
  if (!canary) return fixedChoice(b.upstreams.forward(target));
  if (!b.flags) configError(b.config.locate, at, 'a canary needs feature flags: add a flags section');
  if ('url' in target) configError(b.config.locate, at, 'a canary needs an upstream found through discovery');
  if (canary.version === undefined && canary.labels === undefined)
    configError(b.config.locate, at, 'a canary names the version or labels of its instances');
  return canaryChoice({ upstreams: b.upstreams, target, canary, flags: b.flags });
}

/** Route entries that only add policies or conditions to contract operations (no path of their own). */
export interface Overrides {
  operation(ref: string): { spec: RouteSpec; index: number } | undefined;
  contract(ref: string): { spec: RouteSpec; index: number } | undefined;
}

export function overridesOf(b: BuildContext): Overrides {
  const operations = new Map<string, { spec: RouteSpec; index: number }>();
  const contracts = new Map<string, { spec: RouteSpec; index: number }>();
  const served = new Set(b.config.contracts.map(({ contract }) => `${contract.name}@${contract.major}`));
  (b.config.data.routes ?? []).forEach((spec, index) => {
    if (spec.match?.path !== undefined) return;
    const at = ['routes', index];
    const ref = spec.operation ?? spec.contract;
    if (ref === undefined)
      configError(
        b.config.locate,
        at,
        'a route without match.path changes a contract operation: name its operation or contract',
      );
    if (spec.match?.methods)
      configError(b.config.locate, [...at, 'match', 'methods'], "an operation's method is its contract's");
    const [contractRef, operation] = ref.split('.') as [string, string | undefined];
    if (!served.has(contractRef)) configError(b.config.locate, at, `no contract ${contractRef} is served`);
    const contract = b.config.contracts.find(
      (c) => `${c.contract.name}@${c.contract.major}` === contractRef,
    )!;
    if (operation !== undefined && !contract.contract.operations[operation])
      configError(b.config.locate, at, `${contractRef} has no operation ${operation}`);
    const map = operation === undefined ? contracts : operations;
    if (map.has(ref)) configError(b.config.locate, at, `${ref} is configured twice`);
    map.set(ref, { spec, index });
  });
  return { operation: (ref) => operations.get(ref), contract: (ref) => contracts.get(ref) };
}
