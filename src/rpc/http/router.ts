import type { AnyContract } from '../../contract/index.js';
import { routeOf, type HttpRoute } from './mapping.js';

interface Node {
  literals: Map<string, Node> | undefined;
  param: Node | undefined;
  /** Routes ending here, by method. */
  methods: Map<string, HttpRoute> | undefined;
  /** The `Allow` header of this path, built once. */
  allow: string;
}

export type Match =
  | { readonly kind: 'route'; readonly route: HttpRoute; readonly params: readonly string[] }
  | { readonly kind: 'method'; readonly allow: string }
  | { readonly kind: 'none' };

const none: Match = { kind: 'none' };
const noParams: readonly string[] = [];

/**
 * The route table of a server: a tree of path segments built once from the contracts served, so a
 * request costs one split of its path and a walk of a few map lookups. A literal segment is preferred
 * to a parameter (`/orders/mine` before `/orders/:id`), falling back to the parameter if the literal
 * branch leads nowhere.
 */
export interface Router {
  match(method: string, path: string): Match;
}

export function createRouter(contracts: readonly AnyContract[]): Router {
  const root = node();
  // Paths without parameters, by their exact text: most requests are found by one lookup.
  const exact = new Map<string, Node>();
  for (const contract of contracts)
    for (const operation of Object.keys(contract.operations)) {
      const route = routeOf(contract, operation);
      let at = root;
      for (const segment of route.segments) {
        if (segment.startsWith(':')) at = at.param ??= node();
        else {
          at.literals ??= new Map();
          let next = at.literals.get(segment);
          if (!next) at.literals.set(segment, (next = node()));
          at = next;
        }
      }
      at.methods ??= new Map();
      const clash = at.methods.get(route.method);
      if (clash)
        throw new Error(
          `HTTP route ${route.method} ${route.template} of ${label(route)} clashes with ${label(clash)}: ` +
            'services served by one process need distinct paths',
        );
      at.methods.set(route.method, route);
      at.allow = [...at.methods.keys()].sort().join(', ');
      if (route.pathParams.length === 0) exact.set(route.template, at);
    }

  return {
    match(method, path) {
      // A literal path wins over parameters (as in `walk`), so its exact entry is the answer.
      const literal = exact.get(path);
      if (literal) return answer(literal, method, noParams);
      if (path.charCodeAt(0) !== 47 /* / */) return none;
      const segments = path.slice(1).split('/');
      const params: string[] = [];
      const found = walk(root, segments, 0, params);
      if (!found?.methods) return none;
      return answer(found, method, params.length === 0 ? noParams : params);
    },
  };
}

function answer(at: Node, method: string, params: readonly string[]): Match {
  const route = at.methods!.get(method);
  if (!route) return { kind: 'method', allow: at.allow };
  return { kind: 'route', route, params };
}

function walk(at: Node, segments: readonly string[], i: number, params: string[]): Node | undefined {
  if (i === segments.length) return at.methods ? at : undefined;
  const segment = segments[i]!;
  const literal = at.literals?.get(segment);
  if (literal) {
    const found = walk(literal, segments, i + 1, params);
    if (found) return found;
  }
  // A parameter never matches an empty segment: `/orders/` does not address order "".
  if (!at.param || segment === '') return undefined;
  params.push(segment);
  const found = walk(at.param, segments, i + 1, params);
  if (!found) params.pop();
  return found;
}

function node(): Node {
  return { literals: undefined, param: undefined, methods: undefined, allow: '' };
}

function label(route: HttpRoute): string {
  return `${route.contract.name} v${route.contract.major} ${route.operation}`;
}
