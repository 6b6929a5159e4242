import type { ServerResponse } from 'node:http';
import type { SwitchyardError } from '../../errors/index.js';
import { send, sendProblem } from '../../rpc/http/respond.js';

/** Writes a whole answer: `headers` (extended in place), the length, and `extra`, the headers every answer of this request carries. */
export function writeAnswer(
  res: ServerResponse,
  status: number,
  headers: string[],
  body: Uint8Array,
  extra: readonly string[],
): void {
  if (res.headersSent || res.destroyed) return;
  headers.push('content-length', String(body.byteLength));
  for (let i = 0; i < extra.length; i++) headers.push(extra[i]!);
  res.writeHead(status, headers);
  res.end(body);
}

export function writeJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  extra: readonly string[],
): void {
  send(res, status, 'application/json', Buffer.from(JSON.stringify(value)), false, extra);
}

/**
 * An error as RFC 9457 problem details. `status` overrides the code's where HTTP has a more precise
 * one (405, 408, 431); `close` ends the connection after the answer (a body left unread). Returns the
 * status sent.
 */
export function writeProblem(
  res: ServerResponse,
  error: SwitchyardError,
  options: { instance: string; extra: readonly string[]; status?: number; close?: boolean },
): number {
  sendProblem(res, error, {
    instance: options.instance,
    close: options.close ?? false,
    extra: options.extra,
    ...(options.status === undefined ? {} : { status: options.status }),
  });
  return options.status ?? error.httpStatus;
}
