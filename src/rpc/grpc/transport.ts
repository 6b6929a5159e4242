import type { ChannelCredentials, ChannelOptions, Client } from '@grpc/grpc-js';
import { protobufCodecs } from '../../codec/protobuf.js';
import type { AnyContract } from '../../contract/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { errorOfAbort, type Call, type Transport } from '../../runtime/index.js';
import type { Endpoint, EndpointPicker } from '../endpoint.js';
import { outcome, UnaryAttempt, type Method } from './attempt.js';
import { loadedGrpc, loadGrpc, type Grpc } from './driver.js';
import { toMetadata } from './metadata.js';
import { grpcMethodPath } from './naming.js';

export interface GrpcTransportOptions {
  /** Where each attempt goes; hears every outcome (balancing, outlier ejection). */
  endpoints: EndpointPicker;
  /** grpc-js channel options of every connection (`grpc.keepalive_time_ms`, …). */
  channelOptions?: ChannelOptions;
  /** TLS or mTLS credentials (grpc-js `ChannelCredentials`); plaintext by default. */
  credentials?: ChannelCredentials;
}

const noOptions = {};

/**
 * Calls services over gRPC: one grpc-js client (one HTTP/2 connection) per address, the contract's
 * protobuf on the wire, the deadline as `grpc-timeout`, ids and trace as metadata, and errors read
 * back from the `switchyard-error-bin` trailer (or from the status, for servers that are not ours).
 */
export function grpcTransport(options: GrpcTransportOptions): Transport {
  const { endpoints } = options;
  const clients = new Map<string, Client>();
  const methods = new WeakMap<AnyContract, Map<string, Method>>();
  let grpc: Grpc | undefined = loadedGrpc();

  const methodOf = (call: Call): Method => {
    let byOperation = methods.get(call.contract);
    if (!byOperation) methods.set(call.contract, (byOperation = new Map()));
    let method = byOperation.get(call.operation);
    if (!method) {
      const codecs = protobufCodecs(call.contract).operation(call.operation);
      method = { path: grpcMethodPath(call.contract, call.operation), ...codecs };
      byOperation.set(call.operation, method);
    }
    return method;
  };

  const clientFor = (grpc: Grpc, address: string): Client => {
    let client = clients.get(address);
    if (!client) {
      try {
        const credentials = options.credentials ?? grpc.credentials.createInsecure();
        client = new grpc.Client(address, credentials, options.channelOptions);
      } catch (error) {
        throw new SwitchyardError('UNAVAILABLE', `cannot connect to ${JSON.stringify(address)}`, {
          cause: error,
          details: { notSent: true },
        });
      }
      clients.set(address, client);
    }
    return client;
  };

  function send(grpc: Grpc, call: Call, endpoint: Endpoint): Promise<unknown> {
    const { ctx } = call;
    let attempt: UnaryAttempt;
    let request: Buffer;
    try {
      const method = methodOf(call);
      // Only a context that can be aborted is listened to.
      const cancellable = ctx.cancellable;
      const client = clientFor(grpc, endpoint.address);
      attempt = new UnaryAttempt({ endpoints, endpoint, client, method, ctx: cancellable ? ctx : undefined });
      request = asBuffer(method.input.encode(call.input));
      if (cancellable && ctx.signalAborted()) throw errorOfAbort(ctx.signal.reason);
    } catch (error) {
      // Still one report per pick: a bad address blames the endpoint, a bad input or a cancel does not.
      const e = SwitchyardError.from(error);
      endpoints.done?.(endpoint, outcome(performance.now(), e));
      return Promise.reject(e);
    }
    const callOptions = ctx.deadline === undefined ? noOptions : { deadline: ctx.deadline };
    return attempt.send(request, toMetadata(grpc, ctx), callOptions);
  }

  const transport: Transport = {
    name: 'grpc',
    remote: true,
    call(call) {
      if (!grpc)
        return loadGrpc().then((loaded) => {
          grpc = loaded;
          return transport.call(call);
        });
      const loaded = grpc;
      let picked: Endpoint | Promise<Endpoint>;
      try {
        picked = endpoints.pick(call);
      } catch (error) {
        return Promise.reject(SwitchyardError.from(error));
      }
      return isPromise(picked) ? picked.then((e) => send(loaded, call, e)) : send(loaded, call, picked);
    },
    async close() {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
  return transport;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | null)?.then === 'function';
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
