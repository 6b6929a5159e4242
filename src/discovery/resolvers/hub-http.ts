import { Agent, request } from 'undici';
import { fromProblem, SwitchyardError } from '../../errors/index.js';
import { hubDefaults } from '../hub-api.js';

export const defaultHubUrl = `http://${hubDefaults.host}:${hubDefaults.port}`;

export interface HubHttpOptions {
  url?: string;
  /** Sent as `authorization: Bearer <token>`; the hub requires it for writes off loopback. */
  token?: string;
}

export interface HubResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface SendOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** Time allowed for the whole response; a blocking query passes its `wait` plus slack. */
  timeoutMs?: number;
}

/**
 * The HTTP side of talking to the hub. Each user (resolver, registrar) owns its own connection pool,
 * so `close()` destroys exactly its sockets and leaves no handle keeping the process alive.
 */
export class HubHttp {
  readonly url: string;
  readonly #headers: Record<string, string>;
  readonly #agent = new Agent({ keepAliveTimeout: 10_000 });

  constructor(options: HubHttpOptions = {}) {
    this.url = (options.url ?? defaultHubUrl).replace(/\/+$/, '');
    this.#headers = { accept: 'application/json' };
    if (options.token) this.#headers.authorization = `Bearer ${options.token}`;
  }

  /**
   * One request. Resolves with any HTTP status (callers decide what 404 means); rejects with
   * UNAVAILABLE when the hub cannot be reached or does not answer in time.
   */
  async send(method: string, path: string, options: SendOptions = {}): Promise<HubResponse> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const headers = { ...this.#headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let status: number;
    let type: string;
    let text: string;
    try {
      const res = await request(this.url + path, {
        method: method as 'GET',
        headers,
        body,
        dispatcher: this.#agent,
        signal: options.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = res.statusCode;
      type = String(res.headers['content-type'] ?? '');
      text = await res.body.text();
    } catch (error) {
      // Not marked `notSent`: a request that timed out may have reached the hub.
      throw new SwitchyardError('UNAVAILABLE', `hub ${this.url} unreachable: ${describe(error)}`, {
        cause: error,
      });
    }
    // Parsed only when it says JSON and has a body: a 204 may still carry a JSON content type.
    if (!type.includes('json') || text.length === 0) return { status, body: undefined };
    try {
      return { status, body: JSON.parse(text) as unknown };
    } catch (error) {
      throw new SwitchyardError('INTERNAL', `hub ${this.url} sent malformed JSON`, { cause: error });
    }
  }

  /** The error for a response the caller did not expect. */
  static failure(response: HubResponse): SwitchyardError {
    return fromProblem(response.status, response.body);
  }

  #closed = false;

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#agent.destroy();
  }
}

function describe(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const e = error as { code?: unknown; message?: unknown };
  return typeof e.code === 'string' ? e.code : String(e.message);
}
