import type { AnyContract } from '../../contract/index.js';
import type { Exchange } from '../route.js';
import type { UpstreamResponse } from '../upstream/forward.js';
import { answerFrom, readRequestBody, upstreamRequest } from './io.js';
import type { ChainChoice, Handler } from './operation.js';

/**
 * A configured route to any HTTP upstream: the path optionally rewritten (the matched prefix
 * replaced), the request and answer passed through as they are.
 */
export function proxyRoute(options: {
  contract: AnyContract;
  route: string;
  rewrite?: string;
  choose: ChainChoice;
}): Handler {
  const { contract, route, choose } = options;
  const prefix = options.rewrite?.replace(/\/$/, '');
  return async (ex: Exchange) => {
    const body = await readRequestBody(ex);
    const path = prefix === undefined ? ex.path : prefix + ex.rest || '/';
    const input = upstreamRequest(ex, ex.query === '' ? path : `${path}?${ex.query}`, body);
    const operation = `${route}:${ex.req.method ?? 'GET'}`;
    const def = contract.operations[operation] ?? contract.operations[`${route}:GET`]!;
    const chain = choose(ex);
    await answerFrom(
      ex,
      (await chain({ contract, operation, def, input, ctx: ex.context() })) as UpstreamResponse,
    );
  };
}
