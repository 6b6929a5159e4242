import type { ServerResponse } from 'node:http';
import { json, type Codec } from '../../codec/index.js';
import { problemContentType, SwitchyardError, toProblem } from '../../errors/index.js';

/**
 * An answer's body. JSON stays text: Node then writes the head and the body as one chunk, where a
 * byte body is a second chunk (a vectored write) after the text converted to bytes.
 */
export function encodeAnswer(codec: Codec, value: unknown): string | Uint8Array {
  if (codec !== json) return codec.encode(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // json.encode fails the same way, with the codec's error.
  }
  return text ?? json.encode(value);
}

/** Writes a complete response; `close` asks Node to close the connection once it is sent. */
export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Uint8Array,
  close: boolean,
  extra?: readonly string[],
): void {
  if (res.headersSent || res.destroyed) return;
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  const headers = ['content-type', contentType, 'content-length', String(length)];
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
  send(res, problem.status, problemContentType, text, options.close, options.extra);
}

const jsonType = 'application/json';

export function sendJson(res: ServerResponse, status: number, value: unknown, close: boolean): void {
  send(res, status, jsonType, JSON.stringify(value), close);
}
