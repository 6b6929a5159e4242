import type { AnyContract } from '../../contract/index.js';
import { routeOf } from '../../rpc/http/mapping.js';
import { configError } from '../config/errors.js';
import { callOperation, forwardOperation, type Handler } from '../handlers/operation.js';
import type { GatewayRoute } from '../route.js';
import { deprecationOf } from '../versions/deprecation.js';
import type { VersionAdapter } from '../versions/adapter.js';
import { choiceOf, conditionsOf, type BuildContext, type Overrides } from './context.js';
import { mergePolicies } from './policies.js';

/**
 * Every operation of every contract served, at its HTTP mapping under `/v<major>`: forwarded byte for
 * byte to HTTP backends of its version, called over gRPC, or served by a newer version through an
 * adapter.
 */
export function contractRoutes(b: BuildContext, overrides: Overrides): GatewayRoute[] {
  const adapters = new Map<string, VersionAdapter>();
  for (const adapter of b.config.adapters)
    adapters.set(`${adapter.from.name}@${adapter.from.major}`, adapter);
  const newest = new Map<string, AnyContract>();
  for (const { contract } of b.config.contracts)
    if ((newest.get(contract.name)?.major ?? -1) < contract.major) newest.set(contract.name, contract);

  const routes: GatewayRoute[] = [];
  for (const { contract, protocol } of b.config.contracts) {
    const key = `${contract.name}@${contract.major}`;
    const adapter = adapters.get(key);
    const forContract = overrides.contract(key);
    for (const operation of Object.keys(contract.operations)) {
      const ref = `${key}.${operation}`;
      const own = overrides.operation(ref);
      if ((own?.spec.expose ?? forContract?.spec.expose) === false) continue;
      const policies = mergePolicies(
        b.bodyBytes,
        b.config.data.policies,
        forContract?.spec.policies,
        own?.spec.policies,
      );
      const layer = own ?? forContract;
      const at = layer ? ['routes', layer.index, 'policies'] : ['policies'];
      if (policies.auth && !b.authenticates)
        configError(b.config.locate, at, 'this route needs authentication: add an auth section');
      let handle: Handler;
      if (adapter) {
        const mapped = adapter.operations[operation]!;
        const target = { contract: adapter.to, operation: mapped.operation ?? operation };
        handle = callOperation({
          served: { contract, operation },
          target,
          adapter: mapped,
          host: b.upstreams.host,
        });
      } else if (protocol === 'grpc') {
        handle = callOperation({ served: { contract, operation }, host: b.upstreams.host });
      } else {
        const target = { service: contract.name, major: contract.major };
        handle = forwardOperation({ contract, operation, choose: choiceOf(b, target, policies.canary, at) });
      }
      const http = routeOf(contract, operation);
      routes.push({
        id: ref,
        template: http.template,
        methods: new Set([http.method]),
        ...conditionsOf(own?.spec.match ?? forContract?.spec.match),
        policies,
        deprecation: deprecationOf(
          contract,
          operation,
          successorOf(newest.get(contract.name), contract, operation, adapter),
        ),
        handle,
      });
    }
  }
  return routes;
}

/** Where the same operation lives in the newest version served (its path, or the version's root). */
function successorOf(
  newest: AnyContract | undefined,
  contract: AnyContract,
  operation: string,
  adapter: VersionAdapter | undefined,
): string | undefined {
  if (!newest || newest.major <= contract.major) return undefined;
  const name = adapter?.to === newest ? (adapter.operations[operation]?.operation ?? operation) : operation;
  return newest.operations[name] ? routeOf(newest, name).template : `/v${newest.major}`;
}
