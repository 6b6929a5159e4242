import type { IncomingMessage } from 'node:http';
import type { GatewayFile } from '../config/schema.js';

type CorsSpec = Exclude<NonNullable<GatewayFile['cors']>, false>;

export interface Cors {
  /** Headers an answer to a request from `origin` carries; empty when the origin is not allowed. */
  headers(origin: string | undefined): readonly string[];
  /**
   * Headers of a preflight answer, or undefined when the origin may not call (the preflight is
   * refused). `allow` is what the path takes.
   */
  preflight(req: IncomingMessage, allow: string): readonly string[] | undefined;
}

const noHeaders: readonly string[] = [];
const defaultAllowHeaders = [
  'authorization',
  'content-type',
  'prefer',
  'traceparent',
  'tracestate',
  'x-api-key',
  'x-request-id',
];
const defaultExpose = [
  'x-request-id',
  'location',
  'retry-after',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'deprecation',
  'sunset',
  'link',
];

/** Cross-origin resource sharing as the Fetch standard describes it, for the origins configured. */
export function createCors(spec: CorsSpec): Cors {
  const any = spec.origins.includes('*');
  const origins = new Set(spec.origins);
  const credentials = spec.credentials ?? false;
  const expose = (spec.exposeHeaders ?? defaultExpose).join(', ');
  const allowHeaders = (spec.headers ?? defaultAllowHeaders).join(', ');
  const maxAge = String(spec.maxAgeSeconds ?? 600);
  const allowed = (origin: string | undefined): origin is string =>
    origin !== undefined && (any || origins.has(origin));
  // With credentials the origin must be echoed, never `*` (Fetch §3.2.5).
  const originValue = (origin: string) => (any && !credentials ? '*' : origin);
  const common = (origin: string) => {
    const out = ['access-control-allow-origin', originValue(origin), 'vary', 'Origin'];
    if (credentials) out.push('access-control-allow-credentials', 'true');
    return out;
  };
  return {
    headers(origin) {
      if (!allowed(origin)) return noHeaders;
      return [...common(origin), 'access-control-expose-headers', expose];
    },
    preflight(req, allow) {
      const origin = req.headers.origin;
      if (!allowed(origin)) return undefined;
      const methods = spec.methods ? spec.methods.join(', ') : allow;
      return [
        ...common(origin),
        'access-control-allow-methods',
        methods,
        'access-control-allow-headers',
        allowHeaders,
        'access-control-max-age',
        maxAge,
      ];
    },
  };
}

/** A CORS preflight: OPTIONS naming the method the real request will use. */
export function isPreflight(req: IncomingMessage): boolean {
  return (
    req.method === 'OPTIONS' &&
    req.headers.origin !== undefined &&
    req.headers['access-control-request-method'] !== undefined
  );
}
