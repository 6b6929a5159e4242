/**
 * One benchmark server, run as a child process by bench/support/child.ts:
 *
 *   node --conditions=source --import tsx --import ./bench/support/compiled.mjs bench/support/server.ts <kind> '<options as JSON>'
 *
 * It sends `{ ready: <address> }` over IPC once it serves, closes on the message `stop`, and exits
 * when its parent goes away. Every echo server answers with the object it was sent, decoded and
 * encoded again; the Switchyard ones validate it on the way in and out (the host's default).
 */
import { createServer } from 'node:http';
import { startHub } from '../../src/hub/index.js';
import {
  createGrpcServer,
  createHttpServer,
  createNatsServer,
  type GrpcServer,
  type HttpServer,
  type NatsServer,
} from '../../src/rpc/index.js';
import { createHost } from '../../src/runtime/index.js';
import { EchoContract, echoParams, rawProto } from './echo.js';
import { serveChild, type Running } from './server-child.js';

export type ServerKind =
  | 'switchyard-http'
  | 'raw-http'
  | 'switchyard-grpc'
  | 'raw-grpc'
  | 'switchyard-nats'
  | 'raw-nats'
  | 'moleculer'
  | 'hub';

export interface ServerOptions {
  /** NATS servers (NATS kinds and Moleculer). */
  nats?: string;
  /** Subject prefix of `switchyard-nats`; the subject of `raw-nats`. */
  subject?: string;
  /** Moleculer namespace. */
  namespace?: string;
  /** The hub's SQLite folder. */
  dataDir?: string;
}

const natsServers = 'nats://127.0.0.1:4222';

function echoHost() {
  const host = createHost({ name: 'bench-server' });
  host.implement(EchoContract, { echo: (input) => input });
  return host;
}

async function switchyardHttp(): Promise<Running> {
  const server: HttpServer = createHttpServer({ host: echoHost() });
  const { address } = await server.listen();
  return { address, close: () => server.close({ graceMs: 1000 }) };
}

async function rawHttp(): Promise<Running> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function switchyardGrpc(): Promise<Running> {
  const server: GrpcServer = createGrpcServer({ host: echoHost() });
  const { port } = await server.listen();
  return { address: `127.0.0.1:${port}`, close: () => server.close({ graceMs: 1000 }) };
}

async function rawGrpc(): Promise<Running> {
  const grpc = await import('@grpc/grpc-js');
  const { path, request, response } = rawProto();
  const server = new grpc.Server();
  server.addService(
    {
      Echo: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: request.serialize,
        requestDeserialize: request.deserialize,
        responseSerialize: response.serialize,
        responseDeserialize: response.deserialize,
      },
    },
    {
      Echo: (call: { request: unknown }, callback: (e: null, v: unknown) => void) =>
        callback(null, call.request),
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

async function switchyardNats(options: ServerOptions): Promise<Running> {
  const subjectPrefix = options.subject!;
  const server: NatsServer = createNatsServer({
    host: echoHost(),
    servers: options.nats ?? natsServers,
    subjectPrefix,
  });
  await server.listen();
  return { address: subjectPrefix, close: () => server.close({ graceMs: 1000 }) };
}

async function rawNats(options: ServerOptions): Promise<Running> {
  const { connect } = await import('nats');
  const nc = await connect({ servers: options.nats ?? natsServers, name: 'bench-raw-echo' });
  const subject = options.subject!;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  nc.subscribe(subject, {
    queue: 'bench-raw-echo',
    callback: (error, msg) => {
      if (error) return;
      msg.respond(encoder.encode(JSON.stringify(JSON.parse(decoder.decode(msg.data)))));
    },
  });
  await nc.flush();
  return { address: subject, close: () => nc.drain() };
}

async function moleculer(options: ServerOptions): Promise<Running> {
  const { ServiceBroker } = await import('moleculer');
  const broker = new ServiceBroker({
    namespace: options.namespace!,
    nodeID: `bench-server-${process.pid}`,
    transporter: options.nats ?? natsServers,
    logger: false,
    metrics: false,
    tracing: false,
  });
  broker.createService({
    name: 'echo',
    actions: { echo: { params: echoParams, handler: (ctx: { params: unknown }) => ctx.params } },
  });
  await broker.start();
  return { address: options.namespace!, close: () => broker.stop() };
}

async function hub(options: ServerOptions): Promise<Running> {
  const started = await startHub({ port: 0, dnsPort: 0, dataDir: options.dataDir!, checks: false });
  return { address: started.url, close: () => started.close() };
}

const starters: Record<ServerKind, (options: ServerOptions) => Promise<Running>> = {
  'switchyard-http': switchyardHttp,
  'raw-http': rawHttp,
  'switchyard-grpc': switchyardGrpc,
  'raw-grpc': rawGrpc,
  'switchyard-nats': switchyardNats,
  'raw-nats': rawNats,
  moleculer,
  hub,
};

if (process.send) await serveChild<ServerOptions>(starters);
