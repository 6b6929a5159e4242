import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderMatcher, HostMatcher } from './conditions.js';

/** What the router needs of a route: a path template and the conditions beside the path. */
export interface Routable {
  /** `/v1/orders/:orderId`; a last segment `*` matches the rest of the path. */
  readonly template: string;
  /** Any method when undefined. */
  readonly methods: ReadonlySet<string> | undefined;
  readonly host: HostMatcher | undefined;
  readonly headers: HeaderMatcher | undefined;
}

export type Match<R> =
  | { readonly kind: 'route'; readonly route: R; readonly params: readonly string[]; readonly rest: string }
  | { readonly kind: 'method'; readonly allow: string }
  | { readonly kind: 'none' };

interface Node<R> {
  literals: Map<string, Node<R>> | undefined;
  param: Node<R> | undefined;
  /** Routes whose template ends here. */
  end: R[] | undefined;
  /** Routes whose template ends with `*` here. */
  wildcard: R[] | undefined;
}

const none = { kind: 'none' } as const;
const noParams: readonly string[] = [];

export interface Router<R extends Routable> {
  match(method: string, path: string, headers: IncomingHttpHeaders): Match<R>;
}

/**
 * A tree of path segments built once per configuration, so a request costs one split of its path and
 * a few map lookups. A literal segment is preferred to a parameter and a parameter to a wildcard,
 * falling back when a branch leads nowhere. Among routes of one path, the first whose method, host and
 * header conditions hold wins, in the order given (configuration routes before contract routes).
 */
export function createRouter<R extends Routable>(routes: readonly R[]): Router<R> {
  const root = node<R>();
  for (const route of routes) {
    const segments = route.template.slice(1).split('/');
    const prefix = segments[segments.length - 1] === '*';
    let at = root;
    for (const segment of prefix ? segments.slice(0, -1) : segments) {
      if (segment.startsWith(':')) at = at.param ??= node();
      else {
        at.literals ??= new Map();
        let next = at.literals.get(segment);
        if (!next) at.literals.set(segment, (next = node()));
        at = next;
      }
    }
    if (prefix) (at.wildcard ??= []).push(route);
    else (at.end ??= []).push(route);
  }

  return {
    match(method, path, headers) {
      if (path.charCodeAt(0) !== 47 /* / */) return none;
      const segments = path.slice(1).split('/');
      const search: Search = { method, headers, params: [], allow: undefined, rest: '' };
      const found = walk(root, segments, 0, search);
      if (found) {
        const params = search.params.length === 0 ? noParams : search.params;
        return { kind: 'route', route: found, params, rest: search.rest };
      }
      if (search.allow) return { kind: 'method', allow: [...search.allow].sort().join(', ') };
      return none;
    },
  };
}

interface Search {
  method: string;
  headers: IncomingHttpHeaders;
  params: string[];
  /** Methods of routes whose path and conditions held but not their method (for 405). */
  allow: Set<string> | undefined;
  rest: string;
}

function walk<R extends Routable>(
  at: Node<R>,
  segments: readonly string[],
  i: number,
  s: Search,
): R | undefined {
  if (i === segments.length) {
    const found = at.end && pick(at.end, s);
    if (found) return found;
  } else {
    const segment = segments[i]!;
    const literal = at.literals?.get(segment);
    if (literal) {
      const found = walk(literal, segments, i + 1, s);
      if (found) return found;
    }
    // A parameter never matches an empty segment: `/orders/` does not address order "".
    if (at.param && segment !== '') {
      s.params.push(segment);
      const found = walk(at.param, segments, i + 1, s);
      if (found) return found;
      s.params.pop();
    }
  }
  if (at.wildcard) {
    const found = pick(at.wildcard, s);
    if (found) {
      s.rest = i < segments.length ? '/' + segments.slice(i).join('/') : '';
      return found;
    }
  }
  return undefined;
}

function pick<R extends Routable>(candidates: readonly R[], s: Search): R | undefined {
  for (const route of candidates) {
    if (route.host && !route.host(s.headers.host)) continue;
    if (route.headers && !route.headers(s.headers)) continue;
    if (route.methods && !route.methods.has(s.method)) {
      s.allow ??= new Set();
      for (const m of route.methods) s.allow.add(m);
      continue;
    }
    return route;
  }
  return undefined;
}

function node<R>(): Node<R> {
  return { literals: undefined, param: undefined, end: undefined, wildcard: undefined };
}
