import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TraceContext } from '../envelope/index.js';
import type { Context } from '../runtime/index.js';
import type { CanarySpec, RateLimitSpec } from './config/schema.js';
import type { Identity, Requirements } from './policies/seams.js';
import type { Routable } from './routing/router.js';
import type { Deprecation } from './versions/deprecation.js';

/** The policies of one route, defaults and configuration merged. */
export interface RoutePolicies {
  readonly validate: boolean;
  readonly timeoutMs: number | undefined;
  readonly bodyBytes: number;
  /** Undefined: anyone, authenticated or not. */
  readonly auth: Requirements | undefined;
  readonly rateLimit: RateLimitSpec | undefined;
  readonly canary: CanarySpec | undefined;
}

export interface GatewayRoute extends Routable {
  /** `orders@1.getOrder` for a contract operation; the configured name otherwise. */
  readonly id: string;
  readonly policies: RoutePolicies;
  readonly deprecation: Deprecation | undefined;
  /** Serves a request that matched; writes the answer. */
  readonly handle: (exchange: Exchange) => Promise<void>;
  /** Answers long-lived streams (SSE, WebSocket): not counted as in flight for a reload. */
  readonly streaming?: boolean;
  /** Takes over a WebSocket upgrade of this route, once the caller passed the edge policies. */
  readonly upgrade?: (caller: Caller, socket: Duplex, head: Buffer) => void;
}

/** Who is calling which route: what the edge policies (authentication, rate limit) work on. */
export interface Caller {
  readonly req: IncomingMessage;
  readonly route: GatewayRoute;
  /** Headers every answer to this request carries: request id, CORS, deprecation, rate limit. */
  readonly extra: string[];
  identity: Identity | undefined;
  /** Identity as headers for the service (set after authentication). */
  identityHeaders: Record<string, string> | undefined;
}

/** One request on its way through the gateway. */
export interface Exchange extends Caller {
  readonly res: ServerResponse;
  /** Values of the template's `:name` segments, in order. */
  readonly params: readonly string[];
  /** What a trailing `*` matched, with its leading `/` (empty otherwise). */
  readonly rest: string;
  readonly path: string;
  /** The query string without `?`. */
  readonly query: string;
  readonly requestId: string;
  readonly trace: TraceContext;
  /** The instance that answered, for the access log. */
  upstream: string | undefined;
  /**
   * The call context of the request (ids, trace, deadline, identity), made on first use; with
   * `cancelOnClientGone` it is cancelled when the client goes away (typed calls use that).
   */
  context(options?: { cancelOnClientGone?: boolean }): Context;
  /** Hears the client go away before its answer was written; returns what stops listening. */
  onClientGone(listener: () => void): () => void;
}
