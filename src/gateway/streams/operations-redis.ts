import type { Redis } from 'ioredis';
import { SwitchyardError } from '../../errors/index.js';
import { connect } from '../../messaging/redis/link.js';
import { begin, memoryOperationStore, type OperationStatus, type OperationStore } from './operations.js';

export interface RedisOperationStoreOptions {
  /** Default `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /** Prepended to every key; gateways that share statuses share it. Default `switchyard:op:`. */
  readonly prefix?: string;
  readonly ttlMs?: number;
  /** How long one Redis command may take before the request that needs it fails; default 1000. */
  readonly commandTimeoutMs?: number;
}

/**
 * Statuses shared through Redis, so a client that polls another gateway than the one that accepted
 * its command still finds it. The accepting gateway writes the status when it accepts the command
 * (before answering 202) and again when the reply comes; each key expires with the status. A local
 * copy answers the accepting gateway without a round trip, and keeps answering if Redis is away.
 */
export function redisOperationStore(options: RedisOperationStoreOptions = {}): OperationStore {
  const prefix = options.prefix ?? 'switchyard:op:';
  const url = options.url ?? 'redis://127.0.0.1:6379';
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const local = memoryOperationStore({ ttlMs });
  let connection: Promise<Redis> | undefined;
  const failFastMs = options.commandTimeoutMs ?? 1_000;
  // Statuses are read and written on the request path: fail fast rather than wait through reconnects.
  const redis = () => (connection ??= connect({ url, name: 'switchyard-gateway-operations', failFastMs }));

  const write = async (status: OperationStatus, owner: string | undefined, expires: number) => {
    local.local.put({ status, owner, expires });
    const ms = expires - Date.now();
    if (ms > 0) await (await redis()).set(prefix + status.id, JSON.stringify({ owner, status }), 'PX', ms);
  };

  return {
    async start(command, owner, work) {
      const { first, finish } = begin(command, work);
      const expires = Date.now() + ttlMs;
      try {
        await write(first, owner, expires);
      } catch (error) {
        // A command that expects a reply is not sent yet. A one-way command is (it is recorded once
        // the broker took it), but a 202 whose Location no gateway knows would be a lie.
        throw new SwitchyardError('UNAVAILABLE', `operation store ${url} unavailable`, { cause: error });
      }
      const settled = finish().then(async (status) => {
        // A status that cannot be shared stays readable here; other gateways see it pending until it expires.
        await write(status, owner, expires).catch(() => {});
        return status;
      });
      return { status: first, settled };
    },
    async get(id, owner) {
      const mine = local.local.read(id, owner);
      if (mine) return mine;
      let stored: string | null;
      try {
        stored = await (await redis()).get(prefix + id);
      } catch (error) {
        throw new SwitchyardError('UNAVAILABLE', `operation store ${url} unavailable`, { cause: error });
      }
      if (stored === null) return undefined;
      const entry = JSON.parse(stored) as { owner?: string; status: OperationStatus };
      return entry.owner === owner ? entry.status : undefined;
    },
    async close() {
      await local.close();
      const client = await connection?.catch(() => undefined);
      if (client) await client.quit().catch(() => client.disconnect());
    },
  };
}
