import { Pool } from 'undici';
import { json, msgpack, type Codec } from '../../codec/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { blame } from '../../resilience/index.js';
import type { Call, Transport } from '../../runtime/index.js';
import type { Endpoint, EndpointPicker } from '../endpoint.js';
import { HttpExchange } from './exchange.js';
import { abortReason } from './failures.js';
import { writeContextHeaders } from './headers.js';
import { requestBody, requestTarget, routeOf } from './mapping.js';

export interface HttpTransportOptions {
  /** Chooses the instance of each attempt and hears how it went. */
  endpoints: EndpointPicker;
  /** Request body format; answers are read in whatever format the server chose. JSON by default. */
  codec?: 'json' | 'msgpack';
  /** Keep-alive connections per origin (undici Pool `connections`); 64 by default. */
  connections?: number;
}

const problemType = 'application/problem+json';

/**
 * Calls operations of services in other processes over HTTP, at each operation's HTTP mapping. One
 * undici Pool (keep-alive connections) per origin, created on first use and closed by `close()`.
 * Each call is one attempt: retries, breakers and timeouts are interceptors around it.
 */
export function httpTransport(options: HttpTransportOptions): Transport {
  const { endpoints, connections = 64 } = options;
  const codec: Codec = options.codec === 'msgpack' ? msgpack : json;
  const accept = `${codec.contentType}, ${problemType}`;
  const pools = new Map<string, Pool>();
  let closed = false;

  function poolFor(address: string): Pool {
    let pool = pools.get(address);
    if (!pool) pools.set(address, (pool = new Pool(`http://${address}`, { connections })));
    return pool;
  }

  async function call(call: Call): Promise<unknown> {
    if (closed)
      throw new SwitchyardError('UNAVAILABLE', 'The HTTP transport is closed', {
        details: { notSent: true },
      });
    const route = routeOf(call.contract, call.operation);
    const input = call.input as Record<string, unknown>;
    const path = requestTarget(route, input);
    const value = requestBody(route, input);
    // Encoded before an instance is picked: a value that cannot be encoded is our bug, not the instance's.
    const body = value === undefined ? undefined : codec.encode(value);
    const headers =
      body === undefined ? ['accept', accept] : ['content-type', codec.contentType, 'accept', accept];
    const { ctx } = call;
    // Only a context that something can abort is listened to.
    const cancellable = ctx.cancellable;
    if (cancellable && ctx.signalAborted()) throw abortReason(ctx.signal);

    let endpoint: Endpoint;
    try {
      const picked = endpoints.pick(call);
      endpoint = picked instanceof Promise ? await picked : picked;
    } catch (error) {
      throw notPicked(error);
    }
    const reporting = endpoints.done !== undefined;
    const started = reporting ? performance.now() : 0;
    try {
      writeContextHeaders(ctx, headers);
      const result = await send(poolFor(endpoint.address), endpoint.address, {
        method: route.method,
        path,
        headers,
        body,
        ctx: cancellable ? ctx : undefined,
      });
      if (reporting) endpoints.done?.(endpoint, { ok: true, latencyMs: performance.now() - started });
      return result;
    } catch (thrown) {
      const error = SwitchyardError.from(thrown);
      // Only what the instance did counts against it: a bad request or a cancelled call says nothing of it.
      const callerFault = blame[error.code] !== 'callee';
      if (reporting)
        endpoints.done?.(endpoint, { ok: false, latencyMs: performance.now() - started, callerFault });
      throw error;
    }
  }

  return {
    name: 'http',
    remote: true,
    call,
    async close() {
      closed = true;
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.close()));
    },
  };
}

interface Request {
  method: string;
  path: string;
  headers: string[];
  body: Uint8Array | undefined;
  /** The context to listen to for aborts, when something can abort it. */
  ctx: Call['ctx'] | undefined;
}

/** Dispatches one request; the decoded answer, or a SwitchyardError (the answer's, the connection's, the abort's). */
function send(pool: Pool, address: string, request: Request): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const exchange = new HttpExchange({ resolve, reject, address });
    const { ctx } = request;
    if (ctx) {
      const stop = ctx.onAbort((reason) => exchange.cancel(reason));
      if (exchange.cancelled) return;
      exchange.whenSettled(stop);
    }
    pool.dispatch(
      { method: request.method, path: request.path, headers: request.headers, body: request.body },
      exchange,
    );
  });
}

function notPicked(error: unknown): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  return new SwitchyardError('UNAVAILABLE', 'No endpoint could be picked', {
    details: { notSent: true },
    cause: error,
  });
}
