import type { ChannelModel } from 'amqplib';
import type { Socket } from 'node:net';
import { SwitchyardError } from '../../errors/index.js';
import { equalJitter } from '../../internal/backoff.js';

/** The parts of amqplib the adapter uses at run time (types come from the static `import type`). */
export type AmqpModule = typeof import('amqplib');

let loading: Promise<AmqpModule> | undefined;

/**
 * amqplib is an optional peer dependency: it is imported on first use, so users who never configure
 * RabbitMQ never load it (or need it installed).
 */
export function loadAmqp(): Promise<AmqpModule> {
  loading ??= import('amqplib').then(
    // amqplib is CommonJS; depending on the loader its exports arrive as named exports or on `default`.
    (mod) => ((mod as { connect?: unknown }).connect ? mod : (mod as { default: AmqpModule }).default),
    (error: unknown) => {
      loading = undefined;
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        'The RabbitMQ broker adapter needs the `amqplib` package installed',
        { cause: error },
      );
    },
  );
  return loading;
}

/** Internal: where an adapter keeps its Link, for tests that cut the connection. */
export const kLink = Symbol('switchyard.rabbitmq.link');

export interface LinkOptions {
  readonly url: string;
  /** Shown in the RabbitMQ management UI and `rabbitmqctl list_connections client_properties`. */
  readonly connectionName: string;
  /** AMQP heartbeat, so a silently dead connection is noticed (and re-opened) within ~2 intervals. */
  readonly heartbeatSeconds: number;
}

/**
 * One AMQP connection, opened on demand and opened again after it is lost. amqplib does not
 * reconnect by itself: whoever needs the connection calls `get()`, which connects (once for all
 * concurrent callers) when there is no open connection.
 */
export class Link {
  private current: ChannelModel | undefined;
  private connecting: Promise<ChannelModel> | undefined;
  private closed = false;

  constructor(private readonly options: LinkOptions) {}

  get isClosed(): boolean {
    return this.closed;
  }

  async get(): Promise<ChannelModel> {
    if (this.closed) throw new SwitchyardError('UNAVAILABLE', 'The RabbitMQ adapter is closed');
    if (this.current) return this.current;
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<ChannelModel> {
    const amqp = await loadAmqp();
    let model: ChannelModel;
    try {
      const { url, heartbeatSeconds } = this.options;
      const withHeartbeat = /[?&]heartbeat=/.test(url)
        ? url
        : `${url}${url.includes('?') ? '&' : '?'}heartbeat=${heartbeatSeconds}`;
      model = await amqp.connect(withHeartbeat, {
        clientProperties: { connection_name: this.options.connectionName },
      });
    } catch (error) {
      throw new SwitchyardError('UNAVAILABLE', `Cannot connect to RabbitMQ at ${redact(this.options.url)}`, {
        cause: error,
      });
    }
    if (this.closed) {
      await model.close().catch(() => {});
      throw new SwitchyardError('UNAVAILABLE', 'The RabbitMQ adapter is closed');
    }
    // Without an 'error' listener a lost socket would crash the process; channels see the loss as 'close'.
    model.on('error', () => {});
    model.on('close', () => {
      if (this.current === model) this.current = undefined;
    });
    coalesceWrites(model);
    this.current = model;
    return model;
  }

  async close(): Promise<void> {
    this.closed = true;
    const model = this.current ?? (await this.connecting?.catch(() => undefined));
    this.current = undefined;
    await model?.close().catch(() => {});
  }
}

/** Reconnect and retry delays: 100 ms, 200 ms, … up to `maxMs` (`attempt` from 0), with equal jitter. */
export function backoff(attempt: number, maxMs = 5_000): number {
  return Math.round(equalJitter(attempt + 1, 100, maxMs));
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** The AMQP reply code of a channel or connection error (404 NOT_FOUND, 406 PRECONDITION_FAILED, …). */
export function amqpCode(error: unknown): number | undefined {
  // amqplib rejects most calls with an Error carrying `code`, but `get` with the closing frame itself.
  const e = error as { code?: unknown; fields?: { replyCode?: unknown } } | undefined;
  const code = e?.code ?? e?.fields?.replyCode;
  return typeof code === 'number' ? code : undefined;
}

/** The amqplib internals `coalesceWrites` reaches into; checked at run time, as they are not API. */
interface MuxedConnection {
  readonly stream?: Socket;
  readonly muxer?: { _readIncoming?: () => void };
}

/**
 * Lets the socket take a burst of frames in one write. amqplib's multiplexer writes every frame (a
 * whole message, when small) to the socket on its own, so a batch of 1,000 publishes cost 1,000
 * syscalls here and 1,000 reads on the broker. Corking the socket while the multiplexer empties the
 * channels' buffers, and uncorking at once, sends what it wrote as one `writev`. Nothing waits for a
 * timer: the frames leave in the same tick, in the same order. If amqplib's internals ever change
 * shape, this does nothing and frames go out one by one as before.
 */
function coalesceWrites(model: ChannelModel): void {
  const connection = (model as unknown as { connection?: MuxedConnection }).connection;
  const socket = connection?.stream;
  const mux = connection?.muxer;
  const read = mux?._readIncoming;
  if (!socket || !mux || typeof read !== 'function' || typeof socket.cork !== 'function') return;
  mux._readIncoming = () => {
    socket.cork();
    try {
      read.call(mux);
    } finally {
      socket.uncork();
    }
  };
}
