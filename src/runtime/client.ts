import type { AnyContract } from '../contract/index.js';
import { compose, type Interceptor, type Next } from './call.js';
import { Context } from './context.js';
import { enforceDeadline } from './deadline.js';
import type { Host } from './host.js';
import type { Transport } from './transport.js';
import type { CallOptions, Client } from './types.js';
import { validateOutbound } from './validation.js';

export interface ClientOptions {
  /** Default timeout of every call made through this client. */
  timeoutMs?: number;
  /** Validate at the client side of remote calls (defaults to the host's setting). */
  validate?: boolean;
  interceptors?: readonly Interceptor[];
  /** Calls through this client inherit this context (what `ctx.client(...)` sets). */
  parent?: Context;
}

interface Wiring extends ClientOptions {
  host: Host;
  validate: boolean;
  interceptors: readonly Interceptor[];
  resolve: () => Transport;
}

/** Builds the typed client object; the interceptor onion is composed once per client, on first call. */
export function createClient<C extends AnyContract>(contract: C, wiring: Wiring): Client<C> {
  let chain: Next | undefined;
  const build = (): Next => {
    const transport = wiring.resolve();
    const validation = wiring.validate && transport.remote ? [validateOutbound] : [];
    return compose([enforceDeadline, ...wiring.interceptors, ...validation], (call) => transport.call(call));
  };

  const client: Record<string, (input: unknown, options?: CallOptions) => Promise<unknown>> = {};
  for (const [operation, def] of Object.entries(contract.operations)) {
    client[operation] = (input, options) => {
      const ctx = new Context({
        parent: options?.parent ?? wiring.parent,
        timeoutMs: options?.timeoutMs ?? wiring.timeoutMs,
        deadline: options?.deadline,
        signal: options?.signal,
        metadata: options?.metadata,
        clients: wiring.host,
      });
      try {
        chain ??= build();
      } catch (error) {
        return Promise.reject(error);
      }
      return chain({ contract, operation, def, input, ctx });
    };
  }
  return client as Client<C>;
}
