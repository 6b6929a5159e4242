import type { ServerResponse } from 'node:http';
import { problemContentType, SwitchyardError, toProblem } from '../../errors/index.js';

/** Writes a complete response; `close` asks Node to close the connection once it is sent. */
export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: Uint8Array,
  close: boolean,
  extra?: readonly string[],
): void {
  if (res.headersSent || res.destroyed) return;
  const headers = ['content-type', contentType, 'content-length', String(body.byteLength)];
  if (close) headers.push('connection', 'close');
  if (extra) headers.push(...extra);
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * An error as RFC 9457 problem details with the code's status; `status` overrides it where HTTP has a
 * more precise one than the code (405 for a known path with another method).
 */
export function sendProblem(
  res: ServerResponse,
  error: SwitchyardError,
  options: { instance: string; close: boolean; status?: number; extra?: readonly string[] },
): void {
  const problem = toProblem(error, options.instance);
  if (options.status !== undefined) problem.status = options.status;
  let text: string;
  try {
    text = JSON.stringify(problem);
  } catch {
    // Details a handler attached that JSON cannot carry (a cycle, a BigInt) must not cost the answer.
    delete problem.details;
    text = JSON.stringify(problem);
  }
  const body = Buffer.from(text);
  send(res, problem.status, problemContentType, body, options.close, options.extra);
}

const jsonType = 'application/json';

export function sendJson(res: ServerResponse, status: number, value: unknown, close: boolean): void {
  send(res, status, jsonType, Buffer.from(JSON.stringify(value)), close);
}
