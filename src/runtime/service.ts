import type { AnyContract } from '../contract/index.js';
import type { Host } from './host.js';
import type { Implementation } from './types.js';

/**
 * What a service's factory receives: the host it runs in (for clients) and its settings. Other
 * layers add what they provide by declaration merging (the messaging layer adds `messaging`).
 */
export interface ServiceEnv {
  readonly host: Host;
  readonly config: Readonly<Record<string, string>>;
  /** Registers clean-up of what this instance opened (databases, subscriptions), run on its stop in reverse order. */
  onStop(fn: () => void | Promise<void>): void;
}

/** A started service: `stop` runs after it stopped taking calls. */
export interface StartedService {
  stop(): Promise<void>;
}

/**
 * A service as a deployable unit: its contract and a factory for its implementation. The same
 * definition runs in one process with others (`switchyard up`) or as its own process.
 */
export interface ServiceDefinition<C extends AnyContract = AnyContract> {
  readonly kind: 'service';
  readonly contract: C;
  create(env: ServiceEnv): Implementation<C> | Promise<Implementation<C>>;
  /** Called on graceful stop, after the service stopped taking calls. */
  stop?(): void | Promise<void>;
}

export function defineService<C extends AnyContract>(
  contract: C,
  create: (env: ServiceEnv) => Implementation<C> | Promise<Implementation<C>>,
  options: { stop?: () => void | Promise<void> } = {},
): ServiceDefinition<C> {
  return { kind: 'service', contract, create, ...(options.stop ? { stop: options.stop } : {}) };
}

export function isServiceDefinition(value: unknown): value is ServiceDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'service';
}

/** Creates the service's implementation and serves it from the host. */
export async function startService(
  host: Host,
  service: ServiceDefinition,
  config: Record<string, string> = {},
  env: Readonly<Record<string, unknown>> = {},
): Promise<StartedService> {
  const cleanups: (() => void | Promise<void>)[] = [];
  const onStop = (fn: () => void | Promise<void>) => void cleanups.push(fn);
  host.implement(service.contract, await service.create({ ...env, host, config, onStop } as ServiceEnv));
  return {
    async stop() {
      await service.stop?.();
      for (const fn of cleanups.reverse()) await fn();
    },
  };
}
