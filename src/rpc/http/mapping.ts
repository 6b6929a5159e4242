import type { AnyContract, HttpMethod, OperationDef } from '../../contract/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { decodeComponent, paramSpec, writeParam, type ParamSpec } from './params.js';

/**
 * The HTTP mapping of one operation, compiled once and shared by the server (reading requests) and
 * the client (writing them), so the two cannot disagree. It is the mapping the OpenAPI export
 * documents: the path under `/v<major>`, path parameters from `:name` segments, GET and DELETE inputs
 * in the query, other methods a body holding the input without its path parameters.
 */
export interface HttpRoute {
  readonly contract: AnyContract;
  readonly operation: string;
  readonly def: OperationDef;
  readonly method: HttpMethod;
  /** `/v1/orders/:orderId` */
  readonly template: string;
  /** The template's segments after the leading `/`; `:name` segments are parameters. */
  readonly segments: readonly string[];
  /** Path parameters, in path order. */
  readonly pathParams: readonly ParamSpec[];
  /** GET and DELETE: every other input property, read from the query. */
  readonly queryParams: ReadonlyMap<string, ParamSpec> | undefined;
  /** Whether the client sends a body: a body method with input properties outside the path. */
  readonly sendsBody: boolean;
}

const routes = new WeakMap<OperationDef, HttpRoute>();

/** The route of an operation (cached per operation definition). */
export function routeOf(contract: AnyContract, operation: string): HttpRoute {
  const def = contract.operations[operation];
  if (!def)
    throw new SwitchyardError(
      'UNIMPLEMENTED',
      `${contract.name} v${contract.major} has no operation ${operation}`,
    );
  let route = routes.get(def);
  if (!route) routes.set(def, (route = compile(contract, operation, def)));
  return route;
}

function compile(contract: AnyContract, operation: string, def: OperationDef): HttpRoute {
  const { method, path } = def.http;
  const template = `/v${contract.major}${path === '/' ? '' : path}`;
  const segments = template.slice(1).split('/');
  const inPath = segments.filter((s) => s.startsWith(':')).map((s) => s.slice(1));
  const pathParams = inPath.map((name) => paramSpec(name, def.input.properties[name]!));
  const others = Object.keys(def.input.properties).filter((name) => !inPath.includes(name));
  const queryMethod = method === 'GET' || method === 'DELETE';
  return {
    contract,
    operation,
    def,
    method,
    template,
    segments,
    pathParams,
    queryParams: queryMethod
      ? new Map(others.map((name) => [name, paramSpec(name, def.input.properties[name]!)]))
      : undefined,
    sendsBody: !queryMethod && others.length > 0,
  };
}

// ---- client side -------------------------------------------------------------------------------

/** The request target (path and query) for an input. */
export function requestTarget(route: HttpRoute, input: Readonly<Record<string, unknown>>): string {
  // Most operations have neither path parameters nor a query: their target is the template itself.
  if (route.pathParams.length === 0 && route.queryParams === undefined) return route.template;
  let path = '';
  for (const segment of route.segments)
    path +=
      segment.charCodeAt(0) === 58 /* : */
        ? '/' + encodeURIComponent(String(input[segment.slice(1)]))
        : '/' + segment;
  if (!route.queryParams) return path;
  const query: string[] = [];
  for (const spec of route.queryParams.values()) writeParam(spec, input[spec.name], query);
  return query.length === 0 ? path : `${path}?${query.join('&')}`;
}

/** What the body carries: the input without its path parameters; undefined for no body. */
export function requestBody(route: HttpRoute, input: Readonly<Record<string, unknown>>): unknown {
  if (!route.sendsBody) return undefined;
  if (route.pathParams.length === 0) return input;
  const body: Record<string, unknown> = { ...input };
  for (const spec of route.pathParams) delete body[spec.name];
  return body;
}

// ---- server side -------------------------------------------------------------------------------

/** The input of a GET or DELETE: path parameters and the query. Unknown query parameters are ignored. */
export function inputFromQuery(
  route: HttpRoute,
  pathValues: readonly string[],
  query: string,
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  addPathParams(route, pathValues, input);
  const specs = route.queryParams;
  if (!specs || query === '') return input;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq), 'a query parameter name', true);
    const spec = specs.get(name);
    if (!spec) continue;
    const value = spec.read(
      decodeComponent(eq < 0 ? '' : pair.slice(eq + 1), `query parameter ${name}`, true),
    );
    const previous = input[name];
    if (spec.style === 'array') {
      if (previous === undefined) input[name] = [value];
      else (previous as unknown[]).push(value);
    } else {
      // A repeated scalar becomes a list, so validation rejects it rather than one value winning silently.
      input[name] =
        previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
    }
  }
  return input;
}

/** The input of a body method: the decoded body (an object) with the path parameters added. */
export function inputFromBody(
  route: HttpRoute,
  pathValues: readonly string[],
  body: unknown,
): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new SwitchyardError('INVALID_ARGUMENT', 'The request body must be an object', {
      details: { violations: [{ path: '/', rule: 'type', message: 'Expected object' }] },
    });
  const input = body as Record<string, unknown>;
  // The path wins over a body field of the same name: the path is what addressed the resource.
  addPathParams(route, pathValues, input);
  return input;
}

function addPathParams(
  route: HttpRoute,
  pathValues: readonly string[],
  input: Record<string, unknown>,
): void {
  const specs = route.pathParams;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    input[spec.name] = spec.read(decodeComponent(pathValues[i]!, `path parameter ${spec.name}`, false));
  }
}
