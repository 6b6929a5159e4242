import type { IncomingMessage } from 'node:http';
import { SwitchyardError } from '../../errors/index.js';
import type { FlagSnapshot, FlagStore } from '../flags-store.js';
import { parseCount, parseWait } from './params.js';
import { readJson, sendJson } from './respond.js';
import type { Route } from './route.js';

export interface FlagRouteOptions {
  /** Wraps a blocking query, for the hub's gauge of waiting queries. */
  blocking<T>(wait: Promise<T>): Promise<T>;
}

/** `/v1/flags` of `discovery/hub-api.ts`: the flag document, its blocking query and its writes. */
export function flagRoutes(store: FlagStore, options: FlagRouteOptions): Route[] {
  const send = (res: Parameters<Route['handle']>[1], snapshot: FlagSnapshot) =>
    sendJson(res, 200, snapshot, {
      'x-switchyard-index': String(snapshot.index),
      etag: `"${snapshot.index}"`,
    });
  return [
    {
      method: 'GET',
      pattern: /^\/v1\/flags$/,
      async handle(_req, res, _params, url) {
        const index = parseCount('index', url.searchParams.get('index'));
        if (index === undefined) return send(res, store.read());
        const waitMs = parseWait(url.searchParams.get('wait'));
        const abort = new AbortController();
        res.once('close', () => abort.abort());
        send(res, await options.blocking(store.waitForChange({ index, waitMs, signal: abort.signal })));
      },
    },
    {
      method: 'PUT',
      pattern: /^\/v1\/flags$/,
      write: true,
      async handle(req, res) {
        send(res, await store.replace(await readJson(req), ifMatch(req)));
      },
    },
    {
      method: 'PUT',
      pattern: /^\/v1\/flags\/([^/]+)$/,
      write: true,
      async handle(req, res, [key]) {
        send(res, await store.put(key!, await readJson(req), ifMatch(req)));
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/v1\/flags\/([^/]+)$/,
      write: true,
      async handle(req, res, [key]) {
        send(res, await store.remove(key!, ifMatch(req)));
      },
    },
  ];
}

/** `if-match: "<index>"` as a compare-and-set on the flags' index; `*` or none writes unconditionally. */
function ifMatch(req: IncomingMessage): { ifIndex?: number } {
  const header = req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return {};
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!match)
    throw new SwitchyardError('INVALID_ARGUMENT', `if-match must be the flags' index as an ETag, e.g. "12"`, {
      details: { violations: [{ path: 'if-match', rule: 'format', message: 'Expected "<index>"' }] },
    });
  return { ifIndex: Number(match[1]) };
}
