import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { SwitchyardError } from '../../errors/index.js';

/** Answers whose body is passed on as it arrives rather than collected first. */
export function streams(status: number, headers: Record<string, string | string[] | undefined>): boolean {
  if (status >= 500) return false; // read whole: the breaker and the retry policy judge it
  const type = headers['content-type'];
  if (typeof type === 'string' && type.startsWith('text/event-stream')) return true;
  const length = headers['content-length'];
  return typeof length !== 'string' || Number(length) > streamAboveBytes;
}

/** Answers that declare at most this many bytes are collected and written at once (the fast path). */
export const streamAboveBytes = 64 * 1024;

/**
 * The body of an upstream answer on its way to the client: server-sent events, large or
 * unannounced downloads. The upstream is paused while the client's socket is full, so the gateway
 * holds at most a socket's worth of it. Chunks that come before the client side is attached wait.
 */
export class ResponseStream {
  readonly #controller: Dispatcher.DispatchController;
  #res: ServerResponse | undefined;
  #waiting: Buffer[] = [];
  #outcome: 'ended' | Error | undefined;
  #settle: ((outcome: 'ended' | Error) => void) | undefined;

  constructor(controller: Dispatcher.DispatchController) {
    this.#controller = controller;
  }

  push(chunk: Buffer): void {
    const res = this.#res;
    if (!res) this.#waiting.push(chunk);
    else if (!res.write(chunk)) this.#pause(res);
  }

  end(): void {
    this.#finish('ended');
  }

  fail(cause: Error): void {
    this.#finish(
      SwitchyardError.is(cause)
        ? cause
        : new SwitchyardError('UNAVAILABLE', 'The upstream broke off its answer', { cause }),
    );
  }

  /** Stops the upstream request (the client went away before the end). */
  cancel(reason: Error): void {
    if (this.#outcome === undefined) this.#controller.abort(reason);
  }

  /** Writes the body to `res`, whose head is written; resolves at the upstream's end, rejects if it broke off. */
  pipe(res: ServerResponse): Promise<void> {
    this.#res = res;
    for (const chunk of this.#waiting) res.write(chunk);
    this.#waiting = [];
    const done = new Promise<void>((resolve, reject) => {
      this.#settle = (outcome) => {
        if (outcome === 'ended') {
          res.end();
          resolve();
        } else {
          res.destroy(outcome);
          reject(outcome);
        }
      };
    });
    if (this.#outcome !== undefined) this.#settle!(this.#outcome);
    else if (res.writableNeedDrain) this.#pause(res);
    return done;
  }

  #finish(outcome: 'ended' | Error): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = outcome;
    this.#settle?.(outcome);
  }

  #pause(res: ServerResponse): void {
    this.#controller.pause();
    res.once('drain', () => this.#controller.resume());
  }
}
