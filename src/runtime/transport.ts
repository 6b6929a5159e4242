import type { AnyContract } from '../contract/index.js';
import type { Call } from './call.js';

/**
 * How a client reaches a service. The in-process transport calls the handler directly; the HTTP,
 * gRPC and NATS transports carry the same Call across processes.
 */
export interface Transport {
  readonly name: string;
  /** Whether inputs and outputs cross a serialization boundary (and must be validated on both sides). */
  readonly remote: boolean;
  call(call: Call): Promise<unknown>;
  close?(): Promise<void>;
}

/** Chooses the transport for a contract a host does not implement itself. */
export type TransportResolver = (contract: AnyContract) => Transport | undefined;
