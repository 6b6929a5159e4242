import { resolve } from 'node:path';
import type { DestinationStream } from 'pino';
import type { ResilienceConfig } from '../resilience/index.js';
import { defaultResilience } from '../rpc/remote-services.js';
import type { LoadedConfig } from './config/read.js';
import { createAccessLog, type AccessLog } from './edge/access-log.js';
import { createCors, type Cors } from './edge/cors.js';
import type { GatewayMetrics } from './edge/metrics.js';
import type { Engines } from './engines.js';
import type { AuthStep, RateLimitStep } from './policies/edge.js';
import { loadAuth, loadFlags, loadRateLimit } from './policies/load.js';
import type { FlagSourceSpec } from '../flags/index.js';
import type { AuthConfig, Flags } from './policies/seams.js';
import type { GatewayRoute } from './route.js';
import { configRoutes } from './routes/config-routes.js';
import { overridesOf, type BuildContext } from './routes/context.js';
import { contractRoutes } from './routes/contract-routes.js';
import { defaultBodyBytes } from './routes/policies.js';
import { createRouter, type Router } from './routing/router.js';
import { resolverOf } from './upstream/instances.js';
import { checkResilience, createUpstreams, type Upstreams } from './upstream/upstreams.js';
import { configError } from './config/errors.js';

/**
 * One configuration in service: its routes and the engines they use. A reload builds the next
 * generation beside the current one and switches new requests to it; requests already running finish
 * on theirs, which is retired (its engines released) once they have.
 */
export interface Generation {
  readonly id: number;
  readonly config: LoadedConfig;
  readonly router: Router<GatewayRoute>;
  readonly routes: readonly GatewayRoute[];
  readonly cors: Cors | undefined;
  readonly auth: AuthStep | undefined;
  readonly rateLimit: RateLimitStep | undefined;
  readonly accessLog: AccessLog | undefined;
  readonly headerCount: number;
  /** Requests being served on this generation (streams excluded). */
  readonly inFlight: number;
  enter(): void;
  leave(): void;
  /** Waits for the requests on this generation, then releases its engines. */
  retire(): Promise<void>;
}

export interface BuildOptions {
  id: number;
  config: LoadedConfig;
  engines: Engines;
  metrics: GatewayMetrics;
  /** Overrides the configured access log destination (a stream, a file, or a file descriptor). */
  accessLog?: DestinationStream | string | number | false;
}

export async function buildGeneration(options: BuildOptions): Promise<Generation> {
  const { config, engines, metrics } = options;
  const data = config.data;
  const user = {};
  try {
    const protocols = Object.fromEntries(
      config.contracts.map(({ contract, protocol }) => [contract.name, protocol]),
    );
    const upstreams = await engines.acquire(
      user,
      'upstreams',
      { discovery: data.discovery, resilience: data.resilience, protocols },
      () => {
        const resilience = (data.resilience as ResilienceConfig | undefined) ?? defaultResilience;
        try {
          checkResilience(resilience);
        } catch (error) {
          configError(config.locate, ['resilience'], (error as Error).message);
        }
        const resolver = resolverOf(data.discovery);
        return {
          resolver,
          upstreams: createUpstreams({ resolver, protocols, resilience, metrics: metrics.base }),
        };
      },
      async ({ resolver, upstreams }: { resolver: { close?(): Promise<void> }; upstreams: Upstreams }) => {
        await upstreams.close();
        await resolver.close?.();
      },
    );
    const auth = data.auth
      ? await engines.acquire(
          user,
          'auth',
          { auth: data.auth, dir: config.dir },
          async (): Promise<AuthStep> => {
            const module = await loadAuth();
            const authenticator = module.createAuthenticator(data.auth as unknown as AuthConfig);
            // Keys that cannot be imported fail the configuration, not the first request.
            await authenticator.ready();
            return { module, authenticator };
          },
          (step: AuthStep) => step.authenticator.close(),
        )
      : undefined;
    const flags = data.flags
      ? await engines.acquire(
          user,
          'flags',
          { flags: data.flags, dir: config.dir },
          async () => {
            const flags = (await loadFlags()).createFlags(
              flagSource(data.flags!, config.dir) as FlagSourceSpec,
            );
            await flags.ready();
            return flags;
          },
          (f: Flags) => f.close?.(),
        )
      : undefined;

    const b: BuildContext = {
      config,
      upstreams: upstreams.upstreams,
      flags,
      bodyBytes: data.limits?.bodyBytes ?? defaultBodyBytes,
      authenticates: auth !== undefined,
    };
    // The broker's drivers load only for a configuration that names one.
    const messaging = data.messaging
      ? await (await import('./streams/messaging-routes.js')).messagingRoutes(b, engines, user)
      : undefined;
    const routes = [
      ...configRoutes(b, messaging?.routes),
      ...(messaging?.extra ?? []),
      ...contractRoutes(b, overridesOf(b)),
    ];
    const router = createRouter(routes);

    const limited = routes.some((route) => route.policies.rateLimit !== undefined);
    const rateLimit = limited
      ? await engines.acquire(
          user,
          'rate-limit',
          data.rateLimit ?? {},
          async (): Promise<RateLimitStep> => {
            const module = await loadRateLimit();
            const redis = data.rateLimit?.redis;
            const store = data.rateLimit?.store ?? (redis ? 'redis' : 'memory');
            if (store === 'redis' && !redis) throw new Error('rateLimit: the redis store needs redis.url');
            const limiter = store === 'redis' ? module.redisRateLimiter(redis!) : module.memoryRateLimiter();
            return { module, limiter };
          },
          (step: RateLimitStep) => step.limiter.close(),
        )
      : undefined;

    const destination = accessLogDestination(options.accessLog, data.accessLog, config.dir);
    const accessLog =
      destination === undefined
        ? undefined
        : await engines.acquire(
            user,
            'access-log',
            typeof destination === 'object' ? 'stream' : destination,
            () => createAccessLog(destination),
            (log: AccessLog) => log.flush(),
          );

    let inFlight = 0;
    let onIdle: (() => void) | undefined;
    return {
      id: options.id,
      config,
      router,
      routes,
      cors: data.cors ? createCors(data.cors) : undefined,
      auth,
      rateLimit,
      accessLog,
      headerCount: data.limits?.headerCount ?? 100,
      get inFlight() {
        return inFlight;
      },
      enter: () => void inFlight++,
      leave: () => {
        if (--inFlight === 0) onIdle?.();
      },
      async retire() {
        if (inFlight > 0) await new Promise<void>((done) => (onIdle = done));
        await engines.release(user);
      },
    };
  } catch (error) {
    await engines.release(user);
    throw error;
  }
}

/** Where access log lines go: what the embedding code says, else the configuration (stdout by default); undefined for none. */
function accessLogDestination(
  given: BuildOptions['accessLog'],
  spec: LoadedConfig['data']['accessLog'],
  dir: string,
): DestinationStream | string | number | undefined {
  if (given !== undefined) return given === false ? undefined : given;
  if (spec === false) return undefined;
  if (spec === undefined || spec === true || spec.destination === undefined) return 1;
  return resolve(dir, spec.destination);
}

/** A flags section with its file resolved next to the configuration. */
function flagSource(section: Record<string, unknown>, dir: string): Record<string, unknown> {
  return typeof section.file === 'string' ? { ...section, file: resolve(dir, section.file) } : section;
}
