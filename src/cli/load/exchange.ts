import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { isSuccess, jsonBody, notSettled, statusLabel, transportLabel } from './labels.js';
import type { LoadRequest } from './mix.js';
import type { Tally } from './tally.js';

/** Where requests go: a keep-alive pool on the target's origin, and the path of the base URL. */
export interface Target {
  readonly dispatcher: Dispatcher;
  /** The base URL's path without its trailing slash ('' for the root). */
  readonly basePath: string;
}

/** An answer, or a failure: with `status` when the target answered, without when it could not be reached. */
export type Answer =
  { ok: true; status: number; body: unknown } | { ok: false; label: string; status?: number };

/** One HTTP exchange. The body is read only when asked for, or to name an error by its code. */
export async function send(
  target: Target,
  request: Pick<LoadRequest, 'method' | 'path' | 'headers' | 'body'>,
  options: { signal: AbortSignal; readBody: boolean },
): Promise<Answer> {
  const headers: Record<string, string> = { ...request.headers };
  const hasBody = request.body !== undefined;
  if (hasBody && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/json';
  try {
    const response = await target.dispatcher.request({
      method: request.method.toUpperCase() as Dispatcher.HttpMethod,
      path: target.basePath + request.path,
      headers,
      body: hasBody ? JSON.stringify(request.body) : null,
      signal: options.signal,
    });
    const ok = isSuccess(response.statusCode);
    if (ok && !options.readBody) {
      await response.body.dump();
      return { ok, status: response.statusCode, body: undefined };
    }
    const body = jsonBody(response.headers['content-type'], await response.body.text());
    const status = response.statusCode;
    return ok ? { ok, status, body } : { ok, status, label: statusLabel(status, body) };
  } catch (error) {
    if (options.signal.aborted) throw error;
    return { ok: false, label: transportLabel(error) };
  }
}

/**
 * Sends one request of the mix and records it, and then its settle, in `tally`. Latencies count from
 * `startedAt`, which the open-loop driver sets to when the request was due, not when it went out.
 * Resolves once everything is recorded; what `signal` abandons is counted as cancelled.
 */
export async function perform(options: {
  target: Target;
  request: LoadRequest;
  startedAt: number;
  tally: Tally;
  signal: AbortSignal;
  now?: () => number;
}): Promise<void> {
  const { target, request, startedAt, tally, signal, now = () => performance.now() } = options;
  const { kind, settle } = request;
  tally.started(kind, { settles: settle !== undefined });
  try {
    const answer = await send(target, request, { signal, readBody: settle !== undefined });
    if (!answer.ok) return tally.failure(kind, answer.label);
    tally.success(kind, now() - startedAt);
    if (!settle) return;

    let path: string;
    try {
      path = settle.path(answer.body);
    } catch (error) {
      return tally.failure(kind, `settle.path threw: ${(error as Error).message}`, { settled: true });
    }
    const deadline = now() + (settle.timeoutMs ?? 10_000);
    while (true) {
      await sleep(settle.everyMs ?? 100, undefined, { signal });
      if (now() > deadline) return tally.failure(kind, notSettled, { settled: true });
      const poll = await send(
        target,
        { method: 'GET', path, headers: request.headers },
        { signal, readBody: true },
      );
      tally.poll();
      // A read model may answer 404 until it caught up: only the timeout ends the wait.
      if (!poll.ok) continue;
      let done: boolean;
      try {
        done = settle.done(poll.body);
      } catch (error) {
        return tally.failure(kind, `settle.done threw: ${(error as Error).message}`, { settled: true });
      }
      if (done) return tally.success(kind, now() - startedAt, { settled: true });
    }
  } catch (error) {
    if (!signal.aborted) throw error;
    tally.cancel();
  }
}
