import type { IncomingMessage, ServerResponse } from 'node:http';
import { problemContentType, SwitchyardError, toProblem } from '../../errors/index.js';
import type { OutboxTransaction } from '../types.js';
import type { PendingOperations } from './operations.js';

/**
 * The operation-status endpoint for node:http (and anything that hands over its request and
 * response): `GET <basePath>/<id>` answers the operation's status as JSON, with `Retry-After` while it
 * is PENDING; `?waitMs=` (at most 30 000) long-polls until it is done. Returns false, answering nothing,
 * for other paths.
 */
export function operationStatusHandler<Tx extends OutboxTransaction>(
  operations: PendingOperations<Tx>,
  options: { basePath?: string; retryAfterSeconds?: number } = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const basePath = (options.basePath ?? '/operations').replace(/\/+$/, '');
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith(`${basePath}/`)) return false;
    const id = decodeURIComponent(url.pathname.slice(basePath.length + 1));
    const send = (
      status: number,
      body: unknown,
      type = 'application/json',
      headers: Record<string, string> = {},
    ) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new SwitchyardError('INVALID_ARGUMENT', 'Operations are read with GET', {
          details: { method: req.method },
        });
      const waitMs = Math.min(30_000, Math.max(0, Number(url.searchParams.get('waitMs') ?? 0) || 0));
      const status =
        waitMs > 0 ? await operations.waitFor(id, { timeoutMs: waitMs }) : await operations.get(id);
      if (!status) throw new SwitchyardError('NOT_FOUND', `No operation ${id}`, { details: { id } });
      send(200, status, 'application/json', status.done ? {} : { 'retry-after': retryAfter });
    } catch (thrown) {
      const error = SwitchyardError.from(thrown);
      send(error.httpStatus, toProblem(error, url.pathname), problemContentType);
    }
    return true;
  };
}
