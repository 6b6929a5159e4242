import type { IncomingMessage, ServerResponse } from 'node:http';
import { json } from '../../codec/index.js';
import { problemContentType, SwitchyardError, toProblem } from '../../errors/index.js';
import type { Messaging } from '../bus/index.js';

/** Where broker-less messages are posted: `POST /_switchyard/messages/<channel>`. */
export const directPathPrefix = '/_switchyard/messages/';

export interface DirectReceiverOptions {
  /** Larger bodies get 413 PAYLOAD_TOO_LARGE; 1 MiB by default. */
  readonly bodyLimitBytes?: number;
}

/**
 * The receiving end of broker-less delivery, for a service's HTTP server: a CloudEvents binary-mode
 * request (`ce-*` headers, payload body) runs through the bus's handlers for its channel. 200 with
 * the reply, 204 without one, problem+json when the handler refused or failed — the sender decides
 * what to do, since there is no broker to keep the message.
 * Returns false for requests that are not for it, so it can sit in front of another handler.
 */
export function directReceiver(bus: Messaging, options: DirectReceiverOptions = {}) {
  const limit = options.bodyLimitBytes ?? 1024 * 1024;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (!req.url?.startsWith(directPathPrefix)) return false;
    try {
      if (req.method !== 'POST') throw new SwitchyardError('UNIMPLEMENTED', 'Messages are POSTed');
      const channel = decodeURIComponent(req.url.slice(directPathPrefix.length).split('?', 1)[0]!);
      const body = await readLimited(req, limit);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === 'string' && (name.startsWith('ce-') || name === 'content-type'))
          headers[name] = value;
      const { reply } = await bus.dispatch({ channel, headers, body });
      if (reply === undefined) res.writeHead(204).end();
      else res.writeHead(200, { 'content-type': json.contentType }).end(json.encode(reply));
    } catch (thrown) {
      const error = SwitchyardError.from(thrown);
      res
        .writeHead(error.httpStatus, { 'content-type': problemContentType })
        .end(JSON.stringify(toProblem(error, req.url)));
    }
    return true;
  };
}

async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): SwitchyardError {
  return new SwitchyardError('PAYLOAD_TOO_LARGE', `The body is larger than ${limit} bytes`);
}
