import type { Call } from '../runtime/index.js';

/** Where one attempt of a call goes: an address, and the instance it belongs to (for balancing). */
export interface Endpoint {
  /** `host:port` for HTTP and gRPC. */
  readonly address: string;
  readonly instanceId?: string;
}

export interface Outcome {
  readonly ok: boolean;
  readonly latencyMs: number;
  /** True when the failure says nothing about the instance (e.g. a caller error). */
  readonly callerFault?: boolean;
}

/**
 * Picks the endpoint for each attempt and hears how it went (load balancing, outlier ejection).
 * Transports call `pick` once per attempt and `done` exactly once per pick.
 */
export interface EndpointPicker {
  pick(call: Call): Promise<Endpoint> | Endpoint;
  done?(endpoint: Endpoint, outcome: Outcome): void;
}

/** One fixed address, for tests and platform-provided load balancers. */
export function staticEndpoint(address: string): EndpointPicker {
  const endpoint: Endpoint = { address };
  return { pick: () => endpoint };
}
