import type { Etcd3 } from 'etcd3';
import { SwitchyardError } from '../../errors/index.js';
import { hubDefaults } from '../hub-api.js';
import type { HealthState, Instance, Registration } from '../types.js';
import { createListeners, toEntry } from './entry.js';
import { createKeepAlive } from './etcd-keepalive.js';
import { joinMembers } from './etcd-members.js';
import { createMirror, type StoredValue } from './etcd-mirror.js';
import type { BackendOptions, RegistryBackend, RegistryChange, UpsertOptions } from './types.js';

export interface EtcdBackendOptions extends BackendOptions {
  /** etcd endpoints (default `http://127.0.0.1:2379`). */
  hosts?: string | string[];
  /** Key prefix shared by the hubs of one registry (default `switchyard/registry/`). */
  prefix?: string;
}

/**
 * Instances as etcd keys (`<prefix>instances/<id>`), each bound to its own lease of
 * `ttlSeconds × evictAfter`. A heartbeat renews the lease, so it counts whichever hub receives it,
 * and etcd deletes the key when the lease runs out: eviction needs no hub at all. The registry index
 * is the etcd revision, so every hub numbers changes the same way. Hubs announce themselves under
 * `<prefix>hubs/` and split the active checks between them (`owns`).
 */
export async function createEtcdBackend(options: EtcdBackendOptions = {}): Promise<RegistryBackend> {
  const evictAfter = options.evictAfter ?? hubDefaults.evictAfter;
  const hosts = options.hosts ?? 'http://127.0.0.1:2379';
  const root = options.prefix ?? 'switchyard/registry/';
  const prefix = `${root}instances/`;
  const { Etcd3: Client } = await loadDriver();
  // Unary calls get a deadline, so a write to an unreachable etcd fails in seconds; streams (watch,
  // keepalive) must not have one.
  const client: Etcd3 = new Client({
    hosts,
    dialTimeout: 3000,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + 5000 }),
  });
  const listeners = createListeners<RegistryChange>();
  const mirror = createMirror({ client, prefix, emit: listeners.emit });
  const keepAlive = createKeepAlive(client);
  let members: Awaited<ReturnType<typeof joinMembers>>;
  try {
    await mirror.start();
    members = await joinMembers({ client, prefix: `${root}hubs/` });
  } catch (error) {
    await mirror.close();
    client.close();
    throw new SwitchyardError('UNAVAILABLE', `cannot reach etcd at ${String(hosts)}: ${describe(error)}`, {
      cause: error,
    });
  }
  let closed = false;
  const key = (id: string) => Buffer.from(prefix + id);
  const value = (registration: Registration, health: HealthState) =>
    Buffer.from(JSON.stringify({ registration, health } satisfies StoredValue));

  const backend: RegistryBackend = {
    name: 'etcd',
    capabilities: { persistent: true, shared: true },

    async upsert(registration: Registration, upsertOptions: UpsertOptions = {}): Promise<Instance> {
      const health = upsertOptions.health ?? 'passing';
      const current = mirror.get(registration.id);
      // The same registration again is a heartbeat: renew instead of writing, so watchers sleep on.
      if (
        current?.registration === JSON.stringify(registration) &&
        current.entry.instance.health === health &&
        (await keepAlive.renew(current.lease).catch(() => false))
      )
        return current.entry.instance;
      const ttl = (registration.ttlSeconds ?? hubDefaults.ttlSeconds) * evictAfter;
      const lease = await client.leaseClient.leaseGrant({ TTL: ttl });
      const res = await client.kv.put({
        key: key(registration.id),
        value: value(registration, health),
        lease: lease.ID,
        prev_kv: true,
      });
      // The old lease now holds no key; revoking it only spares etcd from tracking it until expiry.
      const old = res.prev_kv?.lease;
      if (old && old !== '0' && old !== lease.ID)
        void client.leaseClient.leaseRevoke({ ID: old }).catch(() => undefined);
      await mirror.caughtUp(Number(res.header.revision));
      return toEntry(registration, health).instance;
    },

    async heartbeat(id) {
      let lease = mirror.get(id)?.lease;
      if (lease === undefined) {
        // Registered through another hub a moment ago: our copy may not show it yet.
        const kv = (await client.get(prefix + id).exec()).kvs[0];
        if (!kv) return false;
        lease = kv.lease;
      }
      return keepAlive.renew(lease);
    },

    async remove(id) {
      const res = await client.kv.deleteRange({ key: key(id), prev_kv: true });
      if (Number(res.deleted) === 0) return false;
      const lease = res.prev_kvs[0]?.lease;
      if (lease && lease !== '0') void client.leaseClient.leaseRevoke({ ID: lease }).catch(() => undefined);
      await mirror.caughtUp(Number(res.header.revision));
      return true;
    },

    async setHealth(id, state) {
      // Compare-and-set on the key's revision, so a transition never overwrites a newer registration.
      for (let attempt = 0; attempt < 5; attempt++) {
        const kv = (await client.get(prefix + id).exec()).kvs[0];
        if (!kv) return false;
        const stored = JSON.parse(kv.value.toString()) as StoredValue;
        if (stored.health === state) return true;
        const res = await client.kv.txn({
          compare: [{ key: key(id), target: 'Mod', result: 'Equal', mod_revision: kv.mod_revision }],
          success: [
            { request_put: { key: key(id), value: value(stored.registration, state), ignore_lease: true } },
          ],
          failure: [],
        });
        if (res.succeeded) {
          await mirror.caughtUp(Number(res.header.revision));
          return true;
        }
      }
      throw new SwitchyardError('ABORTED', `health of ${id} kept changing under us; try again`);
    },

    async list(service) {
      return mirror.list(service);
    },

    watch: listeners.add,

    owns: (id) => members.owns(id),

    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      await members.close();
      await mirror.close();
      await keepAlive.close();
      client.close();
    },
  };
  return {
    ...backend,
    upsert: unavailableOnFailure(backend.upsert, hosts),
    heartbeat: unavailableOnFailure(backend.heartbeat, hosts),
    remove: unavailableOnFailure(backend.remove, hosts),
    setHealth: unavailableOnFailure(backend.setHealth, hosts),
  };
}

/** etcd's own errors become UNAVAILABLE (503, retryable) rather than an opaque INTERNAL. */
function unavailableOnFailure<A extends unknown[], R>(
  operation: (...args: A) => Promise<R>,
  hosts: string | string[],
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await operation(...args);
    } catch (error) {
      if (error instanceof SwitchyardError) throw error;
      throw new SwitchyardError('UNAVAILABLE', `etcd at ${String(hosts)} failed: ${describe(error)}`, {
        cause: error,
      });
    }
  };
}

async function loadDriver(): Promise<typeof import('etcd3')> {
  try {
    return await import('etcd3');
  } catch (error) {
    throw new SwitchyardError(
      'FAILED_PRECONDITION',
      'the etcd registry backend needs the etcd3 package: npm install etcd3',
      { cause: error },
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
