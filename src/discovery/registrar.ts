import { randomBytes } from 'node:crypto';
import { SwitchyardError } from '../errors/index.js';
import { Emitter } from '../resilience/events.js';
import type { Event } from '../resilience/index.js';
import { hubDefaults, registryPaths } from './hub-api.js';
import { backoff } from './resolvers/common.js';
import { HubHttp } from './resolvers/hub-http.js';
import type { Protocol, Registration } from './types.js';

/**
 * What a service process knows once its servers listen: `host:port` per protocol. Open-ended to match
 * `runServiceProcess`'s endpoints; keys that are not a registry protocol are not sent.
 */
export interface ServiceEndpoints {
  readonly [protocol: string]: string | undefined;
}

const protocols: readonly Protocol[] = ['http', 'grpc', 'nats'];

export interface RegistrarOptions {
  /** Default `http://127.0.0.1:7070`. */
  url?: string;
  token?: string;
  /** Everything but the endpoints, which `register` adds; `id` defaults to `<service>-<random>`. */
  registration: Omit<Registration, 'id' | 'endpoints'> & {
    id?: string;
    endpoints?: Registration['endpoints'];
  };
  /** Default: a third of the TTL, so two heartbeats may be lost before the hub notices. */
  heartbeatEverySeconds?: number;
  /** How long `register` keeps retrying a hub it cannot reach before failing (default 10 000 ms). */
  registerTimeoutMs?: number;
}

export interface RegistrarErrorEvent {
  readonly operation: 'register' | 'heartbeat' | 'deregister';
  readonly error: unknown;
}

export interface Registrar {
  readonly id: string;
  /** Registers (or re-registers with new endpoints) and keeps the registration alive. */
  register(endpoints?: ServiceEndpoints): Promise<void>;
  /** Stops heartbeats and removes the registration; a hub that cannot be reached is left to the TTL. */
  deregister(): Promise<void>;
  /** A heartbeat found the hub had forgotten this instance, and it registered again. */
  readonly onReregistered: Event<{ readonly id: string }>;
  readonly onError: Event<RegistrarErrorEvent>;
}

/**
 * Self-registration with the hub: register on start, heartbeat every TTL/3, register again when a
 * heartbeat gets 404 (the hub restarted without state, or evicted us after a pause), deregister on a
 * graceful stop. Matches what `runServiceProcess` takes as its registrar.
 */
export function registrar(options: RegistrarOptions): Registrar {
  const { registration: template } = options;
  const id = template.id ?? `${template.service}-${randomBytes(4).toString('hex')}`;
  const ttlSeconds = template.ttlSeconds ?? hubDefaults.ttlSeconds;
  const everyMs = (options.heartbeatEverySeconds ?? ttlSeconds / 3) * 1000;
  const reregistered = new Emitter<{ readonly id: string }>();
  const errors = new Emitter<RegistrarErrorEvent>();
  let http: HubHttp | undefined;
  let endpoints: Registration['endpoints'] = { ...template.endpoints };
  let registered = false;
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> | undefined;

  const body = (): Registration => ({ ...template, id, endpoints });
  const client = () => (http ??= new HubHttp(options));

  async function put(): Promise<void> {
    const res = await client().send('PUT', registryPaths.instance(id), { body: body() });
    if (res.status !== 200) throw HubHttp.failure(res);
  }

  async function beat(): Promise<void> {
    try {
      const res = await client().send('PUT', registryPaths.heartbeat(id), {
        timeoutMs: Math.max(everyMs, 1000),
      });
      if (res.status === 404) {
        await put();
        reregistered.emit({ id });
      } else if (res.status >= 300) {
        throw HubHttp.failure(res);
      }
    } catch (error) {
      // Keep beating: the hub may come back before the TTL runs out, or forget us and answer 404.
      errors.emit({ operation: 'heartbeat', error });
    }
  }

  function schedule(): void {
    timer = setTimeout(() => {
      beating = beat().finally(() => {
        beating = undefined;
        if (registered) schedule();
      });
    }, everyMs).unref();
  }

  return {
    id,
    async register(more = {}) {
      endpoints = { ...endpoints };
      for (const protocol of protocols) {
        const address = more[protocol];
        if (address !== undefined) endpoints[protocol] = address;
      }
      const deadline = performance.now() + (options.registerTimeoutMs ?? 10_000);
      const delays = backoff({ initialMs: 100, maxMs: 2000 });
      for (;;) {
        try {
          await put();
          break;
        } catch (error) {
          // Only "could not reach it" is worth waiting out; a refusal (bad token, bad registration) is final.
          const transient = SwitchyardError.is(error, 'UNAVAILABLE') || SwitchyardError.is(error, 'INTERNAL');
          if (!transient || performance.now() >= deadline) throw error;
          errors.emit({ operation: 'register', error });
          await new Promise((resolve) =>
            setTimeout(resolve, Math.min(delays.next(), deadline - performance.now())),
          );
        }
      }
      if (!registered) {
        registered = true;
        schedule();
      }
    },
    async deregister() {
      const was = registered;
      registered = false;
      clearTimeout(timer);
      await beating;
      try {
        if (was) {
          const res = await client().send('DELETE', registryPaths.instance(id), { timeoutMs: 2000 });
          if (res.status >= 300 && res.status !== 404) throw HubHttp.failure(res);
        }
      } catch (error) {
        errors.emit({ operation: 'deregister', error });
      } finally {
        const closing = http;
        http = undefined;
        await closing?.close();
      }
    },
    onReregistered: reregistered.event,
    onError: errors.event,
  };
}
