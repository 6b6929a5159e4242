import type { Dispatcher } from 'undici';
import { codecForContentType, json, msgpack, type Codec } from '../../codec/index.js';
import { fromProblem, SwitchyardError } from '../../errors/index.js';
import { errorOfAbort } from '../../runtime/index.js';
import { connectionFailure } from './failures.js';

/**
 * One request and its response, as an undici dispatch handler. `Pool.request` would wrap every
 * response in a Readable stream, parse every header into an object and listen to an AbortSignal;
 * an RPC answer is one small body read whole, so this keeps the chunks, reads the one header it
 * needs, and is aborted through `cancel` (which `Context.onAbort` calls) rather than a signal.
 *
 * The promise settles once: with the decoded answer, with the error the answer carries, or with the
 * connection's or the abort's error, whichever comes first.
 */
export class HttpExchange implements Dispatcher.DispatchHandler {
  readonly #resolve: (value: unknown) => void;
  readonly #reject: (error: SwitchyardError) => void;
  readonly #address: string;
  #settled = false;
  #abort: ((reason: unknown) => void) | undefined;
  #cancelled = false;
  #cancelReason: unknown;
  #status = 0;
  #contentType: string | undefined;
  #body: Buffer | undefined;
  #chunks: Buffer[] | undefined;
  #onSettled: (() => void) | undefined;

  constructor(options: {
    resolve: (value: unknown) => void;
    reject: (error: SwitchyardError) => void;
    address: string;
  }) {
    this.#resolve = options.resolve;
    this.#reject = options.reject;
    this.#address = options.address;
  }

  /** Runs `fn` once the promise has settled (at once if it has): to stop listening for aborts. */
  whenSettled(fn: () => void): void {
    if (this.#settled) fn();
    else this.#onSettled = fn;
  }

  /** Whether `cancel` ran: the request must then not be sent. */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Fails the call at once with the abort's error and abandons the request (closing its connection). */
  cancel(reason: unknown): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#cancelReason = reason;
    this.#fail(errorOfAbort(reason));
    this.#abort?.(reason);
  }

  onConnect(abort: (reason?: Error) => void): void {
    this.#abort = abort as (reason: unknown) => void;
    // Cancelled while waiting for a connection: it goes no further.
    if (this.#cancelled) abort(this.#cancelReason as Error);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null): boolean {
    // 1xx answers are provisional; the real one follows.
    if (statusCode < 200) return true;
    this.#status = statusCode;
    if (rawHeaders) this.#contentType = contentTypeOf(rawHeaders);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#body === undefined) this.#body = chunk;
    else (this.#chunks ??= [this.#body]).push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.#settled) return;
    const bytes = this.#chunks ? Buffer.concat(this.#chunks) : (this.#body ?? empty);
    if (this.#status !== 200)
      return this.#fail(fromProblem(this.#status, problemOf(this.#contentType, bytes)));
    const codec = codecOf(this.#contentType);
    if (!codec) return this.#fail(unreadable(`an answer of type ${this.#contentType}`));
    let value: unknown;
    try {
      value = codec.decode(bytes);
    } catch (error) {
      // Malformed bytes from the server are its fault, not an invalid argument of ours.
      return this.#fail(unreadable('a malformed answer', error));
    }
    this.#settled = true;
    this.#onSettled?.();
    this.#resolve(value);
  }

  onError(error: Error): void {
    this.#fail(this.#cancelled ? errorOfAbort(this.#cancelReason) : connectionFailure(error, this.#address));
  }

  #fail(error: SwitchyardError): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#onSettled?.();
    this.#reject(error);
  }
}

const empty = Buffer.alloc(0);
const contentTypeLength = 'content-type'.length;

/** The `content-type` of raw response headers (name/value pairs, names in any case). */
function contentTypeOf(raw: Buffer[] | string[]): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== contentTypeLength) continue;
    const text = typeof name === 'string' ? name : name.toString('latin1');
    if (text.toLowerCase() !== 'content-type') continue;
    const value = raw[i + 1]!;
    return typeof value === 'string' ? value : value.toString('latin1');
  }
  return undefined;
}

/** The codec of an answer; the exact types our servers send are matched without parsing. */
function codecOf(contentType: string | undefined): Codec | undefined {
  if (contentType === json.contentType) return json;
  if (contentType === msgpack.contentType) return msgpack;
  return codecForContentType(contentType);
}

function problemOf(contentType: string | undefined, bytes: Uint8Array): unknown {
  if (contentType === undefined || !contentType.includes('json') || bytes.byteLength === 0) return undefined;
  try {
    return JSON.parse(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
    ) as unknown;
  } catch {
    return undefined; // a foreign error page: the status alone decides the code
  }
}

function unreadable(what: string, cause?: unknown): SwitchyardError {
  return new SwitchyardError('UNKNOWN', `The server sent ${what}`, { cause });
}
