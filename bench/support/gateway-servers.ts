/**
 * The processes of the gateway benchmark, one per child (bench/support/gateway-child.ts starts them):
 *
 *   node --conditions=source --import tsx --import ./bench/support/compiled.mjs bench/support/gateway-servers.ts <kind> '<options as JSON>'
 *
 * Each sends `{ ready: <host:port> }` over IPC once it serves and stops on the message `stop` or when
 * its parent goes away. Every proxy forwards `POST /v1/echo` to the same echo backend.
 */
import { createServer, type Server } from 'node:http';
import { Pool } from 'undici';
import { createGateway } from '../../src/gateway/index.js';
import { EchoContract } from './echo.js';
import { serveChild, type Running } from './server-child.js';

export type GatewayServerKind =
  | 'echo-backend'
  | 'minimal-proxy'
  | 'fastify-proxy'
  | 'switchyard-gateway'
  | 'switchyard-gateway-policies'
  | 'moleculer-web';

export interface GatewayServerOptions {
  /** `host:port` of the echo backend (proxies). */
  backend?: string;
  /** HS256 secret tokens are signed with (the gateway with policies). */
  secret?: string;
  nats?: string;
  namespace?: string;
}

const connections = 128;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as { port: number }).port}`)),
  );
}

function closer(server: Server, also?: () => Promise<void>): () => Promise<void> {
  return async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await also?.();
  };
}

/** The backend: parses the JSON body and writes it back, on plain node:http. */
async function echoBackend(): Promise<Running> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  return { address: await listen(server), close: closer(server) };
}

/** The practical limit of one Node hop: read the body, one undici request, write the answer. */
async function minimalProxy(options: GatewayServerOptions): Promise<Running> {
  const pool = new Pool(`http://${options.backend!}`, { connections });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      pool
        .request({
          method: req.method as 'POST',
          path: req.url!,
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
          body: Buffer.concat(chunks),
        })
        .then(async (upstream) => {
          const body = Buffer.from(await upstream.body.arrayBuffer());
          res.writeHead(upstream.statusCode, {
            'content-type': upstream.headers['content-type'] as string,
            'content-length': body.length,
          });
          res.end(body);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  return { address: await listen(server), close: closer(server, () => pool.close()) };
}

async function fastifyProxy(options: GatewayServerOptions): Promise<Running> {
  const { default: Fastify } = await import('fastify');
  const { default: proxy } = await import('@fastify/http-proxy');
  const app = Fastify({ logger: false });
  await app.register(proxy, { upstream: `http://${options.backend!}`, prefix: '/v1', rewritePrefix: '/v1' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { address: `127.0.0.1:${port}`, close: () => app.close() };
}

/** The gateway with the contract route of the echo, and no policy: no auth, no limit, no validation. */
async function switchyardGateway(options: GatewayServerOptions, policies: boolean): Promise<Running> {
  const gateway = await createGateway({
    config: {
      contracts: [EchoContract],
      discovery: { static: { [EchoContract.name]: [options.backend!] } },
      accessLog: false,
      policies: policies
        ? { validate: true, auth: true, rateLimit: { limit: 1_000_000_000, windowMs: 1000 } }
        : { validate: false },
      ...(policies
        ? {
            auth: {
              jwt: {
                keys: [{ alg: 'HS256', secret: options.secret! }],
                issuer: 'bench',
                audience: 'bench-api',
              },
            },
          }
        : {}),
    },
    port: 0,
    defaultMetrics: false,
    log: () => {},
  });
  const { address } = await gateway.listen();
  return { address, close: () => gateway.close({ graceMs: 500 }) };
}

/** moleculer-web's API gateway, calling `echo.echo` on another node over its NATS transporter. */
async function moleculerWeb(options: GatewayServerOptions): Promise<Running> {
  const { ServiceBroker } = await import('moleculer');
  const { default: ApiGateway } = await import('moleculer-web');
  const broker = new ServiceBroker({
    namespace: options.namespace!,
    nodeID: `bench-api-${process.pid}`,
    transporter: options.nats!,
    logger: false,
    metrics: false,
    tracing: false,
  });
  const api = broker.createService({
    name: 'api',
    mixins: [ApiGateway],
    settings: {
      port: 0,
      ip: '127.0.0.1',
      routes: [{ path: '/', aliases: { 'POST v1/echo': 'echo.echo' }, bodyParsers: { json: true } }],
    },
  }) as unknown as { server: Server };
  await broker.start();
  await broker.waitForServices(['echo'], 15_000);
  const { port } = api.server.address() as { port: number };
  return { address: `127.0.0.1:${port}`, close: () => broker.stop() };
}

const starters: Record<GatewayServerKind, (options: GatewayServerOptions) => Promise<Running>> = {
  'echo-backend': echoBackend,
  'minimal-proxy': minimalProxy,
  'fastify-proxy': fastifyProxy,
  'switchyard-gateway': (o) => switchyardGateway(o, false),
  'switchyard-gateway-policies': (o) => switchyardGateway(o, true),
  'moleculer-web': moleculerWeb,
};

if (process.send) await serveChild<GatewayServerOptions>(starters);
