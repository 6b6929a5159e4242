import type { AnyContract } from '../../contract/index.js';
import { composeRoute, type Part } from '../compose/compose.js';
import { configError } from '../config/errors.js';
import type { RouteSpec } from '../config/schema.js';
import { callOperation, type Handler } from '../handlers/operation.js';
import { proxyRoute } from '../handlers/proxy.js';
import { proxyContract } from '../upstream/proxy-contract.js';
import type { GatewayRoute } from '../route.js';
import { choiceOf, conditionsOf, type BuildContext } from './context.js';
import { mergePolicies } from './policies.js';

/** Builds the handler of a messaging-backed route (commands, event streams); absent without a messaging section. */
export type MessagingRoutes = (
  spec: RouteSpec,
  at: (string | number)[],
) => Handler & Pick<GatewayRoute, 'streaming' | 'upgrade'>;

/** The routes the configuration adds: proxies, extra paths of operations, compositions, commands, streams. */
export function configRoutes(b: BuildContext, messaging: MessagingRoutes | undefined): GatewayRoute[] {
  const { locate } = b.config;
  const routes: GatewayRoute[] = [];
  const names = new Set<string>();
  (b.config.data.routes ?? []).forEach((spec, index) => {
    const path = spec.match?.path;
    if (path === undefined) return;
    const at = ['routes', index];
    const kinds = (['proxy', 'operation', 'compose', 'command', 'events'] as const).filter(
      (k) => spec[k] !== undefined,
    );
    if (kinds.length !== 1)
      configError(
        locate,
        at,
        'a route with a path does one thing: proxy, operation, compose, command or events',
      );
    const id =
      spec.name ??
      (spec.operation ? `${spec.operation}@${path}` : configError(locate, at, 'this route needs a name'));
    if (names.has(id)) configError(locate, [...at, 'name'], `two routes are named ${id}`);
    names.add(id);
    const policies = mergePolicies(b.bodyBytes, b.config.data.policies, spec.policies);
    if (policies.auth && !b.authenticates)
      configError(locate, [...at, 'policies'], 'this route needs authentication: add an auth section');
    let handle: Handler & Pick<GatewayRoute, 'streaming' | 'upgrade'>;
    if (spec.proxy) {
      const proxy = spec.proxy;
      if ((proxy.service === undefined) === (proxy.url === undefined))
        configError(locate, [...at, 'proxy'], 'a proxy names a service or a url');
      if (proxy.rewrite !== undefined && !path.endsWith('/*'))
        configError(
          locate,
          [...at, 'proxy', 'rewrite'],
          'a rewrite replaces the prefix of a path ending in /*',
        );
      const target =
        proxy.url !== undefined
          ? { url: proxy.url }
          : { service: proxy.service!, ...(proxy.major === undefined ? {} : { major: proxy.major }) };
      const contract = proxyContract({
        upstream: proxy.service ?? new URL(proxy.url!).host,
        major: proxy.major ?? 0,
        route: id,
        ...(proxy.idempotent === undefined ? {} : { idempotent: proxy.idempotent }),
      });
      handle = proxyRoute({
        contract,
        route: id,
        choose: choiceOf(b, target, policies.canary, [...at, 'policies', 'canary']),
        ...(proxy.rewrite === undefined ? {} : { rewrite: proxy.rewrite }),
      });
    } else if (spec.operation) {
      const { contract, operation } = operationRef(b, spec.operation, [...at, 'operation']);
      try {
        handle = callOperation({ served: { contract, operation }, template: path, host: b.upstreams.host });
      } catch (error) {
        configError(locate, [...at, 'match', 'path'], (error as Error).message);
      }
    } else if (spec.compose) {
      const parts: Part[] = Object.entries(spec.compose.parts).map(([name, part]) => ({
        name,
        ...operationRef(b, part.operation, [...at, 'compose', 'parts', name, 'operation']),
        input: part.input ?? {},
        optional: part.optional ?? false,
        ...('fallback' in part ? { fallback: { value: part.fallback } } : {}),
        ...(part.timeoutMs === undefined ? {} : { timeoutMs: part.timeoutMs }),
      }));
      handle = composeRoute({ parts, template: path, host: b.upstreams.host });
    } else {
      if (!messaging) configError(locate, at, 'commands and event streams need a messaging section');
      handle = messaging(spec, at);
    }
    routes.push({
      id,
      template: path,
      methods: spec.match?.methods ? new Set(spec.match.methods) : undefined,
      ...conditionsOf(spec.match),
      policies,
      deprecation: undefined,
      handle,
      ...(handle.streaming ? { streaming: true } : {}),
      ...(handle.upgrade ? { upgrade: handle.upgrade } : {}),
    });
  });
  return routes;
}

/** `orders@1.getOrder` → the served contract and the operation, or a configuration error. */
export function operationRef(
  b: BuildContext,
  ref: string,
  at: (string | number)[],
): { contract: AnyContract; operation: string } {
  const [contractRef, operation] = ref.split('.') as [string, string];
  const served = b.config.contracts.find((c) => `${c.contract.name}@${c.contract.major}` === contractRef);
  if (!served) configError(b.config.locate, at, `no contract ${contractRef} is served`);
  if (!served.contract.operations[operation])
    configError(b.config.locate, at, `${contractRef} has no operation ${operation}`);
  return { contract: served.contract, operation };
}
