import type {
  MethodDefinition,
  ServerUnaryCall,
  ServiceDefinition,
  UntypedServiceImplementation,
  handleUnaryCall,
  sendUnaryData,
} from '@grpc/grpc-js';
import { protobufCodecs, type ProtobufCodec } from '../../codec/protobuf.js';
import type { AnyContract } from '../../contract/index.js';
import { Context, type Host } from '../../runtime/index.js';
import type { Grpc } from './driver.js';
import { fromMetadata } from './metadata.js';
import { grpcMethodName, grpcMethodPath } from './naming.js';
import { toStatus } from './status.js';

export interface ContractService {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

/**
 * The grpc-js service of one contract: one unary method per operation, its path and messages as in
 * the exported `.proto`.
 *
 * grpc-js gets identity (de)serializers and the codecs run inside the handler, because grpc-js
 * answers a deserializer that throws with INTERNAL ("Error deserializing request"); bad bytes are the
 * caller's fault and must read as INVALID_ARGUMENT, with the decoder's reason.
 */
export function contractService(options: { grpc: Grpc; host: Host; contract: AnyContract }): ContractService {
  const { contract } = options;
  const codecs = protobufCodecs(contract);
  const definition: Record<string, MethodDefinition<Buffer, Buffer>> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const [operation, def] of Object.entries(contract.operations)) {
    const name = grpcMethodName(operation);
    definition[name] = unaryMethod(grpcMethodPath(contract, operation), operation);
    const { input, output } = codecs.operation(operation);
    implementation[name] = operationHandler({ ...options, operation, def, input, output });
  }
  return { definition: definition as ServiceDefinition, implementation };
}

const identity = (bytes: Buffer): Buffer => bytes;

function unaryMethod(path: string, originalName: string): MethodDefinition<Buffer, Buffer> {
  return {
    path,
    originalName,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

interface OperationOptions {
  grpc: Grpc;
  host: Host;
  contract: AnyContract;
  operation: string;
  def: AnyContract['operations'][string];
  input: ProtobufCodec;
  output: ProtobufCodec;
}

/** The per-call path: decode, build the context, dispatch through the host's middleware, encode. */
function operationHandler(options: OperationOptions): handleUnaryCall<Buffer, Buffer> {
  const { grpc, host, contract, operation, def, input, output } = options;
  return (call, callback) => {
    const pending = new PendingAnswer(grpc, callback, output);
    let ctx: Context;
    let value: unknown;
    try {
      value = input.decode(call.request);
      ctx = serverContext(call, host, pending);
    } catch (error) {
      return pending.fail(error);
    }
    host.dispatch({ contract, operation, def, input: value, ctx }).then(
      (result) => pending.succeed(result),
      (error: unknown) => pending.fail(error),
    );
  };
}

/** One call's answer, sent once; a class so the per-call path allocates one object, not closures. */
class PendingAnswer {
  answered = false;

  constructor(
    private readonly grpc: Grpc,
    private readonly callback: sendUnaryData<Buffer>,
    private readonly output: ProtobufCodec,
  ) {}

  succeed(result: unknown): void {
    let bytes: Buffer;
    try {
      bytes = asBuffer(this.output.encode(result));
    } catch (error) {
      return this.fail(error);
    }
    this.answered = true;
    this.callback(null, bytes);
  }

  fail(error: unknown): void {
    this.answered = true;
    this.callback(toStatus(this.grpc, error));
  }
}

/**
 * The handler's context: ids and trace from metadata, the deadline grpc-js read from `grpc-timeout`,
 * and a signal that aborts when the client cancels or the connection drops. grpc-js also emits
 * 'cancelled' once a call has been answered; that one is ignored, so work a handler leaves running
 * on its context is not cut off (as in-process).
 */
function serverContext(call: ServerUnaryCall<Buffer, Buffer>, host: Host, pending: PendingAnswer): Context {
  const init = fromMetadata(call.metadata);
  const deadline = call.getDeadline();
  if (deadline !== Infinity) init.deadline = +deadline;
  init.clients = host;
  init.cancelable = true;
  // cancel() is cheap until someone reads ctx.signal: no AbortController per call.
  const ctx = new Context(init);
  if (call.cancelled) ctx.cancel();
  else call.on('cancelled', () => pending.answered || ctx.cancel());
  return ctx;
}

/** protobufjs writes Buffers in Node; grpc-js wants one, so anything else is wrapped without a copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
