import type { Server, ServerCredentials } from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Host } from '../../runtime/index.js';
import { loadGrpc, type Grpc } from './driver.js';
import { contractService } from './handler.js';
import { createHealthService, type HealthService } from './health.js';
import { addReflection, contractFile, healthFile } from './reflection.js';

export interface GrpcServerOptions {
  /** The host whose services (`host.services()` at `listen()`) are served. */
  host: Host;
  /** 0 (the default) picks a free port; `listen()` reports it. */
  port?: number;
  /** Loopback by default; `0.0.0.0` or `::` to accept calls from other machines. */
  hostname?: string;
  /** Largest request accepted, in bytes (grpc-js default 4 MiB); larger ones get RESOURCE_EXHAUSTED. */
  maxReceiveMessageLength?: number;
  /** Server reflection, so generic clients (grpcurl, Postman) can list and call services (default true). */
  reflection?: boolean;
  /** TLS or mTLS credentials (grpc-js `ServerCredentials`); plaintext by default. */
  credentials?: ServerCredentials;
  /** Further grpc-js server options (`grpc.keepalive_time_ms`, …). */
  serverOptions?: Record<string, unknown>;
}

export interface GrpcCloseOptions {
  /** How long calls in flight may take to finish before they are cancelled (default 5000). */
  graceMs?: number;
  /**
   * How long to keep serving while health reports NOT_SERVING before refusing new calls (default 0),
   * so health checkers and balancers move traffic away before the port closes.
   */
  drainDelayMs?: number;
}

export interface GrpcServer {
  /** Starts serving (once; later calls return the same port). A closed server does not listen again. */
  listen(): Promise<{ port: number }>;
  /** Graceful: NOT_SERVING, optional drain delay, wait for calls in flight up to `graceMs`, then cancel the rest. */
  close(options?: GrpcCloseOptions): Promise<void>;
}

/**
 * Serves every contract of a host over gRPC with the contract's protobuf, plus the standard health
 * service (`grpc.health.v1.Health`) and server reflection. grpc-js is loaded on `listen()`.
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  let started: Promise<{ server: Server; health: HealthService; port: number }> | undefined;
  let closing: Promise<void> | undefined;

  async function start() {
    const grpc = await loadGrpc();
    const server = new grpc.Server(serverOptions(options));
    const contracts = options.host.services().filter((c) => Object.keys(c.operations).length > 0);
    for (const contract of contracts) {
      const service = contractService({ grpc, host: options.host, contract });
      server.addService(service.definition, service.implementation);
    }
    const files = contracts.map(contractFile);
    const health = createHealthService(
      grpc,
      files.map((f) => f.service),
    );
    server.addService(health.definition, health.implementation);
    if (options.reflection ?? true) await addReflection(server, [...files, healthFile]);
    const port = await bind(grpc, server, options);
    return { server, health, port };
  }

  return {
    async listen() {
      if (closing) throw new Error('this gRPC server was closed; create a new one');
      started ??= start();
      return { port: (await started).port };
    },
    close(closeOptions = {}) {
      if (!started) return Promise.resolve();
      closing ??= shutdown(started, closeOptions);
      return closing;
    },
  };
}

function serverOptions(options: GrpcServerOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...options.serverOptions };
  if (options.maxReceiveMessageLength !== undefined)
    out['grpc.max_receive_message_length'] = options.maxReceiveMessageLength;
  return out;
}

function bind(grpc: Grpc, server: Server, options: GrpcServerOptions): Promise<number> {
  const hostname = options.hostname ?? '127.0.0.1';
  const address = `${hostname.includes(':') ? `[${hostname}]` : hostname}:${options.port ?? 0}`;
  const credentials = options.credentials ?? grpc.ServerCredentials.createInsecure();
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (error, port) => (error ? reject(error) : resolve(port))),
  );
}

async function shutdown(
  started: Promise<{ server: Server; health: HealthService }>,
  options: GrpcCloseOptions,
): Promise<void> {
  let server: Server;
  let health: HealthService;
  try {
    ({ server, health } = await started);
  } catch {
    return; // never listened: nothing to close
  }
  health.setAll('NOT_SERVING');
  if (options.drainDelayMs) await sleep(options.drainDelayMs);
  // Watches never end by themselves; tryShutdown waits for every open call.
  health.endWatches();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, options.graceMs ?? 5000);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
