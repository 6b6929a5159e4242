import { Pool } from 'undici';
import { codecForContentType, json, msgpack, type Codec } from '../../codec/index.js';
import { fromProblem, SwitchyardError } from '../../errors/index.js';
import { blame } from '../../resilience/index.js';
import type { Call, Transport } from '../../runtime/index.js';
import type { Endpoint, EndpointPicker } from '../endpoint.js';
import { abortReason, requestFailure } from './failures.js';
import { writeContextHeaders } from './headers.js';
import { requestBody, requestTarget, routeOf, type HttpRoute } from './mapping.js';

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
    // Only a context that something can abort costs a signal.
    const signal = ctx.cancellable ? ctx.signal : undefined;
    if (signal?.aborted) throw abortReason(signal);

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
      const result = await exchange(poolFor(endpoint.address), route, path, headers, body, signal);
      if (reporting) endpoints.done?.(endpoint, { ok: true, latencyMs: performance.now() - started });
      return result;
    } catch (thrown) {
      const error = requestFailure(thrown, signal, endpoint.address);
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

async function exchange(
  pool: Pool,
  route: HttpRoute,
  path: string,
  headers: string[],
  body: Uint8Array | undefined,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const response = await pool.request({ method: route.method, path, headers, body, signal });
  const bytes = await response.body.bytes();
  const type = response.headers['content-type'];
  const contentType = Array.isArray(type) ? type[0] : type;
  if (response.statusCode === 200) {
    const codec = codecForContentType(contentType);
    if (!codec) throw unreadable(`an answer of type ${contentType}`);
    try {
      return codec.decode(bytes);
    } catch (error) {
      // Malformed bytes from the server are its fault, not an invalid argument of ours.
      throw unreadable('a malformed answer', error);
    }
  }
  throw fromProblem(response.statusCode, problemOf(contentType, bytes));
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

function notPicked(error: unknown): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  return new SwitchyardError('UNAVAILABLE', 'No endpoint could be picked', {
    details: { notSent: true },
    cause: error,
  });
}
