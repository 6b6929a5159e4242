/**
 * The clients of the remote benchmarks: Switchyard's, configured as an application would with the
 * default resilience policies, and raw clients of the same libraries doing the same echo.
 */
import { Pool } from 'undici';
import { resilienceInterceptor } from '../../src/resilience/index.js';
import { defaultResilience } from '../../src/rpc/index.js';
import { createHost, type Transport } from '../../src/runtime/index.js';
import { EchoContract, echoPath, rawProto, type Echo } from './echo.js';

export interface EchoClient {
  echo(input: Echo): Promise<unknown>;
  close(): Promise<void>;
}

/** `host.client(EchoContract).echo` over `transport`, default resilience policies, validation on. */
export function switchyardClient(transport: Transport): EchoClient {
  const host = createHost({
    name: 'bench-client',
    transports: () => transport,
    interceptors: [resilienceInterceptor(defaultResilience)],
  });
  const client = host.client(EchoContract);
  return { echo: (input) => client.echo(input), close: () => host.close() };
}

/** Keep-alive connections of both HTTP clients (httpTransport's default). */
export const httpConnections = 64;

/** undici Pool → node:http: POST the JSON, check the status, parse the answer. */
export function rawHttpClient(address: string): EchoClient {
  const pool = new Pool(`http://${address}`, { connections: httpConnections });
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  return {
    async echo(input) {
      const res = await pool.request({
        method: 'POST',
        path: echoPath,
        headers,
        body: JSON.stringify(input),
      });
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      return res.body.json();
    },
    close: () => pool.close(),
  };
}

/** A grpc-js `Client` (one HTTP/2 connection, as grpcTransport's) making unary calls. */
export async function rawGrpcClient(address: string): Promise<EchoClient> {
  const grpc = await import('@grpc/grpc-js');
  const { path, request, response } = rawProto();
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return {
    echo: (input) =>
      new Promise((resolve, reject) =>
        client.makeUnaryRequest(path, request.serialize, response.deserialize, input, (error, value) =>
          error ? reject(error) : resolve(value),
        ),
      ),
    close: async () => client.close(),
  };
}

/** nats.js `nc.request` (one muxed reply subscription) with JSON bodies. */
export async function rawNatsClient(servers: string, subject: string): Promise<EchoClient> {
  const { connect } = await import('nats');
  const nc = await connect({ servers, name: 'bench-raw-client' });
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  return {
    async echo(input) {
      const reply = await nc.request(subject, encoder.encode(JSON.stringify(input)), { timeout: 10_000 });
      return JSON.parse(decoder.decode(reply.data)) as unknown;
    },
    close: () => nc.drain(),
  };
}
