import type { PoliciesSpec } from '../config/schema.js';
import type { RoutePolicies } from '../route.js';

export const defaultBodyBytes = 1024 * 1024;

/** Route policies: the built-in defaults, then each layer of configuration (later layers win). */
export function mergePolicies(bodyBytes: number, ...layers: (PoliciesSpec | undefined)[]): RoutePolicies {
  let merged: RoutePolicies = {
    validate: true,
    timeoutMs: undefined,
    bodyBytes,
    auth: undefined,
    rateLimit: undefined,
    canary: undefined,
  };
  for (const layer of layers) {
    if (!layer) continue;
    merged = {
      validate: layer.validate ?? merged.validate,
      timeoutMs: layer.timeoutMs ?? merged.timeoutMs,
      bodyBytes: layer.bodyBytes ?? merged.bodyBytes,
      auth:
        layer.auth === undefined
          ? merged.auth
          : layer.auth === false
            ? undefined
            : layer.auth === true
              ? {}
              : layer.auth,
      rateLimit:
        layer.rateLimit === undefined
          ? merged.rateLimit
          : layer.rateLimit === false
            ? undefined
            : layer.rateLimit,
      canary: layer.canary ?? merged.canary,
    };
  }
  return merged;
}
