import type { TSchema } from '@sinclair/typebox';
import type { AnyContract } from '../../contract/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { isScalar, paramSpec } from '../../rpc/http/params.js';
import type { Client, Host } from '../../runtime/index.js';
import { decodeBody, readRequestBody } from '../handlers/io.js';
import type { Handler } from '../handlers/operation.js';
import { single } from '../http/headers.js';
import { writeJson } from '../http/respond.js';
import type { Exchange } from '../route.js';

/** One call of a composition. */
export interface Part {
  readonly name: string;
  readonly contract: AnyContract;
  readonly operation: string;
  /** The input, with `$path.x`, `$query.x`, `$body.x`, `$body`, `$header.x` and `$identity.x` read from the request. */
  readonly input: Readonly<Record<string, unknown>>;
  readonly optional: boolean;
  readonly fallback?: { readonly value: unknown };
  readonly timeoutMs?: number;
}

/** How a part that did not answer is marked in `_partial`. */
export interface PartialMark {
  readonly code: string;
  readonly message: string;
  readonly fallback?: true;
}

interface Sources {
  path: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  ex: Exchange;
}

/**
 * API composition: the parts are called in parallel (each through the resilient client stack) and
 * their answers merged under their names. A failed part with a fallback answers the fallback; a failed
 * optional part is left out; either is named in `_partial` with the error's code. A failed required
 * part fails the request with its error.
 */
export function composeRoute(options: { parts: readonly Part[]; template: string; host: Host }): Handler {
  const { parts, host } = options;
  const names = options.template
    .split('/')
    .filter((s) => s.startsWith(':'))
    .map((s) => s.slice(1));
  const needsBody = parts.some((part) => JSON.stringify(part.input).includes('"$body'));
  const clients = new Map<AnyContract, Client<AnyContract>>();
  const clientOf = (contract: AnyContract) => {
    let client = clients.get(contract);
    if (!client) clients.set(contract, (client = host.client(contract)));
    return client;
  };

  return async (ex) => {
    const path: Record<string, string> = {};
    names.forEach((name, i) => (path[name] = decodeURIComponent(ex.params[i]!)));
    const body = needsBody ? decodeBody(ex, await readRequestBody(ex)) : undefined;
    const sources: Sources = { path, query: new URLSearchParams(ex.query), body, ex };
    const ctx = ex.context({ cancelOnClientGone: true });
    const settled = await Promise.allSettled(
      parts.map((part) => {
        const schema = part.contract.operations[part.operation]!.input;
        const input = typed(resolve(part.input, sources) as Record<string, unknown>, schema.properties);
        return clientOf(part.contract)[part.operation]!(input as never, {
          parent: ctx,
          ...(part.timeoutMs === undefined ? {} : { timeoutMs: part.timeoutMs }),
        });
      }),
    );
    const answer: Record<string, unknown> = {};
    const partial: Record<string, PartialMark> = {};
    settled.forEach((outcome, i) => {
      const part = parts[i]!;
      if (outcome.status === 'fulfilled') return void (answer[part.name] = outcome.value);
      const error = SwitchyardError.from(outcome.reason);
      if (part.fallback) {
        answer[part.name] = part.fallback.value;
        partial[part.name] = { code: error.code, message: error.message, fallback: true };
      } else if (part.optional) partial[part.name] = { code: error.code, message: error.message };
      else
        throw new SwitchyardError(error.code, `part ${part.name} failed: ${error.message}`, {
          details: { ...error.details, part: part.name },
        });
    });
    if (Object.keys(partial).length > 0) answer._partial = partial;
    writeJson(ex.res, 200, answer, ex.extra);
  };
}

function resolve(value: unknown, sources: Sources): unknown {
  if (typeof value === 'string' && value.startsWith('$')) return reference(value, sources);
  if (Array.isArray(value)) return value.map((item) => resolve(item, sources));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = resolve(item, sources);
      if (resolved !== undefined) out[key] = resolved;
    }
    return out;
  }
  return value;
}

function reference(text: string, { path, query, body, ex }: Sources): unknown {
  const dot = text.indexOf('.');
  const source = dot < 0 ? text : text.slice(0, dot);
  const key = dot < 0 ? '' : text.slice(dot + 1);
  switch (source) {
    case '$path':
      return path[key];
    case '$query':
      return query.get(key) ?? undefined;
    case '$header':
      return single(ex.req.headers[key.toLowerCase()]);
    case '$identity':
      return ex.identity?.[key as keyof typeof ex.identity];
    case '$body':
      return key === '' ? body : (body as Record<string, unknown> | undefined)?.[key];
    default:
      return text;
  }
}

/** Text read from the path, query or headers, converted to the scalar type the input property declares. */
function typed(input: Record<string, unknown>, properties: Record<string, TSchema>): Record<string, unknown> {
  for (const [name, value] of Object.entries(input)) {
    const schema = properties[name];
    if (typeof value === 'string' && schema && isScalar(schema))
      input[name] = paramSpec(name, schema).read(value);
  }
  return input;
}
