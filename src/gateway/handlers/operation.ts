import type { AnyContract, OperationDef } from '../../contract/index.js';
import type { Client } from '../../runtime/index.js';
import { paramSpec } from '../../rpc/http/params.js';
import { routeOf, type HttpRoute } from '../../rpc/http/mapping.js';
import { checkInput, type Host, type Next } from '../../runtime/index.js';
import { writeJson } from '../http/respond.js';
import type { Exchange } from '../route.js';
import type { UpstreamResponse } from '../upstream/forward.js';
import type { OperationAdapter } from '../versions/adapter.js';
import { answerFrom, operationInput, readRequestBody, target, upstreamRequest } from './io.js';

export type Handler = (ex: Exchange) => Promise<void>;

/** Picks the chain of one request (the stable upstream, or a canary). */
export type ChainChoice = (ex: Exchange) => Next;

/**
 * A contract operation served by HTTP backends of the same version: the request is checked against
 * the contract (unless the route says not to) and then passed on byte for byte, through discovery,
 * balancing and the resilience policies. The answer comes back as the service wrote it.
 */
export function forwardOperation(options: {
  contract: AnyContract;
  operation: string;
  choose: ChainChoice;
}): Handler {
  const { contract, operation, choose } = options;
  const route = routeOf(contract, operation);
  const def = route.def;
  const what = `${contract.name}.${operation}`;
  return async (ex) => {
    const body = await readRequestBody(ex);
    if (ex.route.policies.validate) checkInput(def.input, operationInput(ex, route, body), what);
    const input = upstreamRequest(ex, target(ex), body);
    const chain = choose(ex);
    await answerFrom(
      ex,
      (await chain({ contract, operation, def, input, ctx: ex.context() })) as UpstreamResponse,
    );
  };
}

/**
 * A contract operation served through a typed call: over gRPC, through a version adapter (the old
 * version's request up-converted, the new version's answer down-converted), or at another path. The
 * call goes through the same client stack as service-to-service calls.
 */
export function callOperation(options: {
  /** What the client addresses. */
  served: { contract: AnyContract; operation: string };
  /** Where the request's input is read from: the operation's own mapping, or another template. */
  template?: string;
  /** What is called: the served operation itself unless an adapter maps it to a newer version. */
  target?: { contract: AnyContract; operation: string };
  adapter?: OperationAdapter;
  host: Host;
}): Handler {
  const { served, adapter, host } = options;
  const base = routeOf(served.contract, served.operation);
  const route = options.template === undefined ? base : reroute(base, options.template);
  const callee = options.target ?? served;
  const what = `${served.contract.name}.${served.operation}`;
  let client: Client<AnyContract> | undefined;
  return async (ex) => {
    const body = await readRequestBody(ex);
    let input: unknown = operationInput(ex, route, body);
    if (ex.route.policies.validate) input = checkInput(route.def.input, input, what);
    if (adapter?.request) input = adapter.request(input);
    client ??= host.client(callee.contract);
    const output = await client[callee.operation]!(input as never, {
      parent: ex.context({ cancelOnClientGone: true }),
    });
    writeJson(ex.res, 200, adapter?.response ? adapter.response(output) : output, ex.extra);
  };
}

/**
 * The mapping of an operation at another path: path parameters by the new template's names, the rest
 * of the input from the query or the body as before.
 */
export function reroute(base: HttpRoute, template: string): HttpRoute {
  const def: OperationDef = base.def;
  const properties = def.input.properties;
  const names = template
    .split('/')
    .filter((s) => s.startsWith(':'))
    .map((s) => s.slice(1));
  for (const name of names)
    if (!properties[name])
      throw new Error(`path parameter :${name} is not an input property of ${base.operation}`);
  const others = Object.keys(properties).filter((name) => !names.includes(name));
  return {
    ...base,
    template,
    segments: template.slice(1).split('/'),
    pathParams: names.map((name) => paramSpec(name, properties[name]!)),
    queryParams: base.queryParams
      ? new Map(others.map((name) => [name, paramSpec(name, properties[name]!)]))
      : undefined,
  };
}
