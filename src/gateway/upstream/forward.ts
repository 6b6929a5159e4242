import type { IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { fromProblem, SwitchyardError } from '../../errors/index.js';
import { blame } from '../../resilience/index.js';
import type { Endpoint, EndpointPicker } from '../../rpc/endpoint.js';
import { requestFailure } from '../../rpc/http/failures.js';
import type { Call, Context, Next } from '../../runtime/index.js';
import { ResponseStream, streams } from './response-stream.js';

/** A request as the gateway passes it on: the body already read (and checked) at the edge. */
export interface UpstreamRequest {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  /** Name/value pairs, hop-by-hop headers already removed. */
  readonly headers: string[];
  readonly body: Buffer | undefined;
  /** Tells when the client goes away (then the upstream request is abandoned). */
  readonly clientGone?: { onClientGone(listener: () => void): () => void };
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The whole body; empty when it is streamed. */
  readonly body: Buffer;
  /** Set for an answer whose body is passed on as it arrives (events, large or unannounced bodies). */
  readonly stream?: ResponseStream;
  /** The instance that answered. */
  readonly address: string;
}

export interface Pools {
  get(address: string): Pool;
  close(): Promise<void>;
}

/** One keep-alive pool per upstream origin, shared by every route of a configuration. */
export function createPools(connections = 128): Pools {
  const pools = new Map<string, Pool>();
  return {
    get(address) {
      let pool = pools.get(address);
      if (!pool) {
        const origin = address.includes('://') ? address : `http://${address}`;
        pools.set(address, (pool = new Pool(origin, { connections })));
      }
      return pool;
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.close()));
    },
  };
}

const clientGone = () => new SwitchyardError('CANCELLED', 'The client went away');

/**
 * The last step of a proxied call: one attempt sent to the instance the picker chooses, bytes in and
 * bytes out, so the gateway neither decodes nor re-encodes what it only passes on. It is the `next` of
 * the resilience interceptor, like a transport: an upstream 5xx (or a connection failure) is an error
 * the breaker counts and the retry policy may repeat; any other answer is the service's and goes back
 * to the client as it is.
 *
 * Sent with undici's dispatch API rather than `request`: the answer is collected from its chunks
 * without a body stream, and the attempt is abandoned (timeout, client gone) through the dispatch's
 * own abort, without an AbortSignal per call.
 */
export function forwarder(options: { endpoints: EndpointPicker; pools: Pools }): Next {
  const { endpoints, pools } = options;
  return async (call: Call): Promise<UpstreamResponse> => {
    const request = call.input as UpstreamRequest;
    const { ctx } = call;
    let endpoint: Endpoint;
    try {
      const picked = endpoints.pick(call);
      endpoint = picked instanceof Promise ? await picked : picked;
    } catch (error) {
      throw SwitchyardError.is(error)
        ? error
        : new SwitchyardError('UNAVAILABLE', 'No upstream instance could be picked', {
            details: { notSent: true },
            cause: error,
          });
    }
    let headers = request.headers;
    // Each attempt says which it is and how long it has, as the RPC transports do.
    if (ctx.attempt > 1 || ctx.deadline !== undefined) {
      headers = [...headers];
      if (ctx.attempt > 1) headers.push('ce-attempt', String(ctx.attempt));
      if (ctx.deadline !== undefined)
        headers.push('ce-timeout', String(Math.max(0, Math.floor(ctx.deadline - Date.now()))));
    }
    const started = performance.now();
    try {
      const answer = await exchange(pools.get(endpoint.address), endpoint.address, request, headers, ctx);
      if (answer.status >= 500) throw failure(answer);
      endpoints.done?.(endpoint, { ok: true, latencyMs: performance.now() - started });
      return answer;
    } catch (thrown) {
      const error = requestFailure(thrown, undefined, endpoint.address);
      const callerFault = blame[error.code] !== 'callee';
      endpoints.done?.(endpoint, { ok: false, latencyMs: performance.now() - started, callerFault });
      throw error;
    }
  };
}

function exchange(
  pool: Pool,
  address: string,
  request: UpstreamRequest,
  headers: string[],
  ctx: Context,
): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    const handler = new ForwardHandler({ address, request, ctx, resolve, reject });
    pool.dispatch(
      { method: request.method as 'GET', path: request.path, headers, body: request.body ?? null },
      handler,
    );
  });
}

interface ForwardInit {
  readonly address: string;
  readonly request: UpstreamRequest;
  readonly ctx: Context;
  readonly resolve: (answer: UpstreamResponse) => void;
  readonly reject: (error: unknown) => void;
}

/** Collects one answer; a class so that a request costs one object, not a closure per callback. */
class ForwardHandler implements Dispatcher.DispatchHandler {
  readonly #init: ForwardInit;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #stopCtx: (() => void) | undefined;
  #stopClient: (() => void) | undefined;
  #stream: ResponseStream | undefined;

  constructor(init: ForwardInit) {
    this.#init = init;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    const { ctx, request } = this.#init;
    const abort = (reason: unknown) => controller.abort(SwitchyardError.from(reason));
    // What ends the attempt early: the policies' timeout or a cancelled caller, and the client leaving.
    if (ctx.cancellable) this.#stopCtx = ctx.onAbort(abort);
    if (request.clientGone) this.#stopClient = request.clientGone.onClientGone(() => abort(clientGone()));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    this.#status = statusCode;
    this.#headers = headers;
    if (!streams(statusCode, headers)) return;
    // The attempt has its answer: the policies' timeout no longer applies; the client leaving still does.
    this.#stopCtx?.();
    this.#stopCtx = undefined;
    const stream = (this.#stream = new ResponseStream(controller));
    const { address } = this.#init;
    this.#init.resolve({ status: statusCode, headers, body: Buffer.alloc(0), stream, address });
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#stream) return this.#stream.push(chunk);
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  onResponseEnd(): void {
    this.#stop();
    if (this.#stream) return this.#stream.end();
    const chunks = this.#chunks;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size);
    this.#init.resolve({ status: this.#status, headers: this.#headers, body, address: this.#init.address });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#stop();
    if (this.#stream) this.#stream.fail(error);
    else this.#init.reject(error);
  }

  #stop(): void {
    this.#stopCtx?.();
    this.#stopClient?.();
  }
}

function failure(answer: UpstreamResponse): SwitchyardError {
  const type = answer.headers['content-type'];
  let problem: unknown;
  if (typeof type === 'string' && type.includes('json') && answer.body.length > 0) {
    try {
      problem = JSON.parse(answer.body.toString('utf8'));
    } catch {
      problem = undefined; // a foreign error page: the status alone decides the code
    }
  }
  const error = fromProblem(answer.status, problem);
  // A gateway in front of a foreign server names the hop that failed; our own services' problems stand.
  if (problem === undefined)
    return new SwitchyardError(error.code, `The upstream answered ${answer.status}`, {
      details: { upstream: answer.address, upstreamStatus: answer.status },
    });
  return error;
}
