import type { IncomingMessage, ServerResponse } from 'node:http';
import { problemContentType, SwitchyardError, toProblem } from '../../errors/index.js';

/** Registrations are small; anything bigger is a mistake or an attack. */
export const maxBodyBytes = 64 * 1024;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendProblem(res: ServerResponse, error: SwitchyardError, instance: string) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(toProblem(error, instance));
  const headers: Record<string, string | number> = {
    'content-type': problemContentType,
    'content-length': Buffer.byteLength(text),
  };
  if (error.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="switchyard-hub"';
  res.writeHead(error.httpStatus, headers);
  res.end(text);
}

/** The JSON body of a write: 415 for another content type, 413 past the limit, 400 when unparsable. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type))
    throw new SwitchyardError('UNSUPPORTED_MEDIA_TYPE', `expected application/json, got ${type}`);
  if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = `Expected JSON (${(error as Error).message})`;
    throw new SwitchyardError('INVALID_ARGUMENT', `invalid body: /: ${message}`, {
      details: { violations: [{ path: '/', rule: 'type', message }] },
    });
  }
}

function tooLarge(): SwitchyardError {
  return new SwitchyardError('PAYLOAD_TOO_LARGE', `the body exceeds ${maxBodyBytes} bytes`);
}
