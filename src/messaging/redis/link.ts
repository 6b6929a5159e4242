import { createHash } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import { SwitchyardError } from '../../errors/index.js';

type RedisConstructor = new (url: string, options: RedisOptions) => Redis;

let loading: Promise<RedisConstructor> | undefined;

/**
 * ioredis is an optional peer dependency: it is imported on first use, so users who never configure
 * Redis never load it (or need it installed).
 */
export function loadIoredis(): Promise<RedisConstructor> {
  loading ??= import('ioredis').then(
    // ioredis is CommonJS; depending on the loader the class arrives as `Redis`, `default` or `default.default`.
    (mod: unknown) => {
      const candidates: unknown[] = [
        (mod as { Redis?: unknown }).Redis,
        (mod as { default?: unknown }).default,
        (mod as { default?: { default?: unknown } }).default?.default,
      ];
      const ctor = candidates.find((c) => typeof c === 'function');
      if (!ctor) throw new Error('ioredis exports no Redis class');
      return ctor as RedisConstructor;
    },
    (error: unknown) => {
      loading = undefined;
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        'Redis (the Redis Streams broker adapter, shared rate limits and operation statuses) needs the `ioredis` package installed',
        { cause: error },
      );
    },
  );
  return loading;
}

/** Reconnect delays: 50 ms, 100 ms, … up to 1 s, for as long as the adapter is open. */
export function backoff(attempt: number): number {
  return Math.min(1_000, 50 * 2 ** Math.min(attempt, 5));
}

export interface ConnectOptions {
  readonly url: string;
  /** Shown by `CLIENT LIST` (`name=`). */
  readonly name: string;
  /**
   * For the connection that blocks in XREADGROUP: fail pending commands when the connection drops
   * instead of queueing or re-sending them, so the read loop sees the loss and recovers its pending entries.
   */
  readonly blocking?: boolean;
  /**
   * Commands issued in the same turn of the event loop leave in one write (ioredis auto-pipelining):
   * for the shared command connection, where concurrent publishes would otherwise cost a write each.
   * Such a connection must not be given `callBuffer`: ioredis 5 drops the command's name when it
   * auto-pipelines it (use the named `…Buffer` methods).
   */
  readonly pipelined?: boolean;
  /**
   * For commands on a request path (a gateway's rate check, an operation status): each fails after
   * this many milliseconds, or at the first lost connection, instead of waiting through reconnects.
   */
  readonly failFastMs?: number;
}

/**
 * One ioredis connection. ioredis reconnects by itself; commands issued while it is away wait in its
 * offline queue (command connections) for up to `maxRetriesPerRequest` reconnection attempts.
 */
export async function connect(options: ConnectOptions): Promise<Redis> {
  const RedisClass = await loadIoredis();
  const client = new RedisClass(options.url, {
    connectionName: options.name,
    retryStrategy: (times) => backoff(times),
    maxRetriesPerRequest: options.blocking ? 0 : options.failFastMs ? 1 : 30,
    ...(options.failFastMs ? { commandTimeout: options.failFastMs } : {}),
    autoResendUnfulfilledCommands: !options.blocking,
    enableOfflineQueue: true,
    enableAutoPipelining: options.pipelined ?? false,
    lazyConnect: false,
  });
  // Errors are reported through commands and the consumer's events; an unhandled 'error' must not crash.
  client.on('error', () => {});
  return client;
}

/** Runs a Lua script by SHA, loading it on NOSCRIPT (the script cache is empty after a restart). */
export async function runScript(
  redis: Redis,
  script: Script,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (replyCode(error) !== 'NOSCRIPT') throw error;
    return redis.eval(script.source, keys.length, ...keys, ...args);
  }
}

export interface Script {
  readonly source: string;
  readonly sha: string;
}

export function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** A Redis error reply's code (its first word: `NOGROUP`, `BUSYGROUP`, …), the protocol's stable part. */
export function replyCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== 'ReplyError') return undefined;
  return /^[A-Z]+/.exec(error.message)?.[0];
}
