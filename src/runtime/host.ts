import type { AnyContract } from '../contract/index.js';
import { SwitchyardError } from '../errors/index.js';
import { compose, type Call, type Interceptor, type Next } from './call.js';
import { deadlineExceeded, type Context } from './context.js';
import { createClient, type ClientOptions } from './client.js';
import type { Transport, TransportResolver } from './transport.js';
import type { Client, Handler, Implementation } from './types.js';
import { validateInbound } from './validation.js';

export interface HostOptions {
  /** This process's name, used as the CloudEvents `source` of what it sends. */
  name?: string;
  /** Validate inputs and outputs at every boundary (default true). */
  validate?: boolean;
  /** Client-side middleware for every call this host makes, outermost first. */
  interceptors?: readonly Interceptor[];
  /** Server-side middleware around every handler this host runs, outermost first. */
  serverInterceptors?: readonly Interceptor[];
  /** How to reach services this host does not implement. */
  transports?: TransportResolver;
}

export interface Host {
  readonly name: string;
  implement<C extends AnyContract>(contract: C, implementation: Implementation<C>): void;
  client<C extends AnyContract>(contract: C, options?: ClientOptions): Client<C>;
  /** Runs an inbound call through the server middleware to the handler; what transports call. */
  dispatch(call: Call): Promise<unknown>;
  /** The contracts implemented here. */
  services(): AnyContract[];
  close(): Promise<void>;
}

interface Served {
  contract: AnyContract;
  handlers: Record<string, Handler<unknown, unknown>>;
}

/** Service identity: name and major version, so v1 and v2 of a contract can be served side by side. */
export function serviceKey(contract: AnyContract): string {
  return `${contract.name}@v${contract.major}`;
}

/**
 * A host runs services and makes calls. A call to a service implemented in the same host is a plain
 * function call (no serialization); any other goes through a transport. Service and client code are
 * the same either way.
 */
export function createHost(options: HostOptions = {}): Host {
  const validate = options.validate ?? true;
  const served = new Map<string, Served>();
  const transports = new Set<Transport>();

  // Keyed by the contract object on the hot path; by name and major for a contract loaded twice.
  const byContract = new WeakMap<AnyContract, Served>();
  const lookup = (contract: AnyContract) => {
    let found = byContract.get(contract);
    if (!found) {
      found = served.get(serviceKey(contract));
      if (found) byContract.set(contract, found);
    }
    return found;
  };

  const toHandler: Next = (call) => {
    const handler = lookup(call.contract)?.handlers[call.operation];
    if (!handler)
      return Promise.reject(
        new SwitchyardError(
          'UNIMPLEMENTED',
          `${serviceKey(call.contract)} has no operation ${call.operation}`,
        ),
      );
    try {
      const result = handler(call.input, call.ctx);
      // Synchronous handlers skip the extra promise hop of awaiting their result.
      return isThenable(result) ? settled(result, call.ctx) : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(serviceError(error, call.ctx));
    }
  };
  const dispatch = compose(
    [...(validate ? [validateInbound] : []), ...(options.serverInterceptors ?? [])],
    toHandler,
  );

  const local: Transport = { name: 'in-process', remote: false, call: dispatch };

  const host: Host = {
    name: options.name ?? 'switchyard',
    implement(contract, implementation) {
      const key = serviceKey(contract);
      if (served.has(key)) throw new Error(`${key} is already implemented in this host`);
      const handlers: Record<string, Handler<unknown, unknown>> = {};
      for (const operation of Object.keys(contract.operations)) {
        const handler = (implementation as Record<string, unknown>)[operation];
        if (typeof handler !== 'function') throw new Error(`${key}: no handler for operation ${operation}`);
        handlers[operation] = handler.bind(implementation) as Handler<unknown, unknown>;
      }
      served.set(key, { contract, handlers });
    },
    client(contract, clientOptions = {}) {
      return createClient(contract, {
        ...clientOptions,
        host,
        validate: clientOptions.validate ?? validate,
        interceptors: [...(options.interceptors ?? []), ...(clientOptions.interceptors ?? [])],
        resolve: () => resolveTransport(contract),
      });
    },
    dispatch,
    services: () => [...served.values()].map((s) => s.contract),
    async close() {
      await Promise.all([...transports].map((t) => t.close?.()));
      transports.clear();
    },
  };

  // One transport per target service: clients are made per call (`ctx.client`), and a transport owns
  // connection pools that must be shared, not rebuilt.
  const remote = new Map<string, Transport>();
  function resolveTransport(contract: AnyContract): Transport {
    if (lookup(contract)) return local;
    const key = serviceKey(contract);
    let transport = remote.get(key);
    if (!transport) {
      transport = options.transports?.(contract);
      if (!transport)
        throw new SwitchyardError('UNAVAILABLE', `No instance or transport for ${key}`, {
          details: { notSent: true },
        });
      remote.set(key, transport);
      transports.add(transport);
    }
    return transport;
  }

  return host;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** Errors leave a service as SwitchyardErrors; anything else becomes INTERNAL, its message kept private. */
async function settled(result: PromiseLike<unknown>, ctx: Context): Promise<unknown> {
  try {
    return await result;
  } catch (error) {
    throw serviceError(error, ctx);
  }
}

/**
 * A handler's failure as the caller sees it. One that fails once the call's deadline has passed was
 * cut short by it (its sleep or fetch aborted): it answers DEADLINE_EXCEEDED, as the caller's own
 * timer does, whichever reaches the caller first.
 */
function serviceError(error: unknown, ctx: Context): SwitchyardError {
  return ctx.expired ? deadlineExceeded() : SwitchyardError.from(error);
}
