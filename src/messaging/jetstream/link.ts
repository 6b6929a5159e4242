import type { ConnectionOptions, JetStreamClient, JetStreamManager, KV, NatsConnection } from 'nats';
import { SwitchyardError } from '../../errors/index.js';

/** The parts of nats.js the adapter uses at run time (types come from the static `import type`). */
export type NatsModule = typeof import('nats');

let loading: Promise<NatsModule> | undefined;

/**
 * `nats` is an optional peer dependency: it is imported on first use, so users who never configure
 * JetStream never load it (or need it installed).
 */
export function loadNats(): Promise<NatsModule> {
  loading ??= import('nats').then(
    (mod) =>
      (mod as { connect?: unknown }).connect ? mod : (mod as unknown as { default: NatsModule }).default,
    (error: unknown) => {
      loading = undefined;
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        'The JetStream broker adapter needs the `nats` package installed',
        {
          cause: error,
        },
      );
    },
  );
  return loading;
}

export type LinkEvent = { type: 'disconnected'; error: unknown } | { type: 'reconnected' };

export interface LinkOptions {
  /** `nats://host:port` (one or several); default `nats://127.0.0.1:4222`. Ignored with `connection`. */
  readonly servers?: string | string[];
  /** A connection the caller owns (not closed by the adapter). */
  readonly connection?: NatsConnection;
  /** Shown by `nats server report connections`. */
  readonly name: string;
  /** The KV bucket holding memberships and partition leases. */
  readonly bucket: string;
  /** TTL of the bucket when this adapter creates it. */
  readonly leaseMs: number;
}

export interface Handles {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

/**
 * One NATS connection, opened on first use. nats.js reconnects by itself (forever, here); requests made
 * while it is away time out and callers retry. Status changes are fanned out to listeners (consumers).
 */
export class Link {
  private opening: Promise<Handles> | undefined;
  private kvOpening: Promise<{ kv: KV; ttlMs: number }> | undefined;
  private readonly listeners = new Set<(event: LinkEvent) => void>();
  private closed = false;

  constructor(private readonly options: LinkOptions) {}

  get(): Promise<Handles> {
    if (this.closed)
      return Promise.reject(new SwitchyardError('UNAVAILABLE', 'The JetStream adapter is closed'));
    this.opening ??= this.open().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  private async open(): Promise<Handles> {
    const nats = await loadNats();
    let nc = this.options.connection;
    if (!nc) {
      const options: ConnectionOptions = {
        servers: this.options.servers ?? 'nats://127.0.0.1:4222',
        name: this.options.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 100,
        pingInterval: 5_000,
        maxPingOut: 2,
        // Every publish is a request: without this, each builds two Error objects (stack captured)
        // up front in case it fails. Our errors say which channel and message failed.
        noAsyncTraces: true,
      };
      try {
        nc = await nats.connect(options);
      } catch (error) {
        throw new SwitchyardError('UNAVAILABLE', 'Cannot connect to NATS', { cause: error });
      }
    }
    void this.watch(nc);
    const jsm = await nc.jetstreamManager();
    return { nc, js: nc.jetstream(), jsm };
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.emit({ type: 'disconnected', error: status.data });
      else if (status.type === 'reconnect') this.emit({ type: 'reconnected' });
    }
  }

  private emit(event: LinkEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  listen(listener: (event: LinkEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The lease bucket; its TTL is the lease duration (the existing bucket's TTL wins over `leaseMs`). */
  kv(): Promise<{ kv: KV; ttlMs: number }> {
    this.kvOpening ??= (async () => {
      const { js, jsm } = await this.get();
      const kv = await js.views.kv(this.options.bucket, { ttl: this.options.leaseMs, history: 1 });
      const info = await jsm.streams.info(`KV_${this.options.bucket}`);
      const ttlMs = Math.round(info.config.max_age / 1e6) || this.options.leaseMs;
      return { kv, ttlMs };
    })().catch((error: unknown) => {
      this.kvOpening = undefined;
      throw error;
    });
    return this.kvOpening;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    const opening = this.opening;
    if (!opening || this.options.connection) return;
    const handles = await opening.catch(() => undefined);
    await handles?.nc.drain().catch(() => handles.nc.close());
  }
}
