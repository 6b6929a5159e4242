import type { NatsConnection } from 'nats';
import { SwitchyardError } from '../../errors/index.js';

/** The parts of nats.js this transport uses at run time (types come from the static `import type`). */
export type NatsModule = typeof import('nats');

/** How to reach NATS: a connection the caller owns, or servers to connect to (the connection is then ours). */
export interface NatsConnectionOptions {
  /** Server URLs, e.g. `nats://127.0.0.1:4222`; ignored when `connection` is given. */
  servers?: string | string[];
  /** An open connection to use; it is left open on close, since its owner may still need it. */
  connection?: NatsConnection;
}

export interface OpenConnection {
  readonly nc: NatsConnection;
  readonly nats: NatsModule;
  /** Whether we opened it, and so must drain and close it. */
  readonly owned: boolean;
}

export const defaultServers = 'nats://127.0.0.1:4222';

let loading: Promise<NatsModule> | undefined;

/**
 * nats.js is an optional peer dependency: it is imported on first use, so users who never configure
 * NATS never load it (or need it installed).
 */
export function loadNats(): Promise<NatsModule> {
  loading ??= import('nats').then(
    // nats.js is CommonJS; depending on the loader its exports arrive as named exports or on `default`.
    (mod) => ((mod as { connect?: unknown }).connect ? mod : (mod as { default: NatsModule }).default),
    (error: unknown) => {
      loading = undefined;
      throw new SwitchyardError('FAILED_PRECONDITION', 'RPC over NATS needs the `nats` package installed', {
        cause: error,
      });
    },
  );
  return loading;
}

/**
 * nats.js writes what one tick produced in a single write of up to 32 KiB. Under load a whole window
 * of calls (64 requests, then their 64 replies) then crosses client, NATS and server as one batch,
 * each process idle while another works on it. Writing every 8 KiB lets the three overlap: 15–25%
 * more calls per second at 64 in flight on two cores, the same at 1 or 16 (docs/benchmarks.md,
 * rpc-nats). nats.js reads this option but leaves it out of its types.
 */
const flushEarlier = { pendingLimit: 8 * 1024 } as object;

export async function openConnection(
  options: NatsConnectionOptions,
  defaults: { name: string },
): Promise<OpenConnection> {
  const nats = await loadNats();
  if (options.connection) return { nc: options.connection, nats, owned: false };
  const servers = options.servers ?? defaultServers;
  try {
    const nc = await nats.connect({
      servers,
      name: defaults.name,
      // Services and clients outlive NATS restarts: keep reconnecting instead of giving up after 10 tries.
      maxReconnectAttempts: -1,
      // Otherwise every request builds two Error objects (stack captured) up front in case it fails;
      // our errors carry their own context.
      noAsyncTraces: true,
      ...flushEarlier,
    });
    return { nc, nats, owned: true };
  } catch (error) {
    throw new SwitchyardError('UNAVAILABLE', `Cannot connect to NATS at ${String(servers)}`, {
      cause: error,
      details: { notSent: true },
    });
  }
}
