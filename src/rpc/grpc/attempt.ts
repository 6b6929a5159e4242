import type { Client, ClientUnaryCall, Metadata, ServiceError } from '@grpc/grpc-js';
import type { ProtobufCodec } from '../../codec/protobuf.js';
import { SwitchyardError } from '../../errors/index.js';
import { errorOfAbort, type Context } from '../../runtime/index.js';
import { blame } from '../../resilience/classify.js';
import type { Endpoint, EndpointPicker, Outcome } from '../endpoint.js';
import { fromStatus } from './status.js';

/** What the transport resolved for one operation, once: its path and codecs. */
export interface Method {
  readonly path: string;
  readonly input: ProtobufCodec;
  readonly output: ProtobufCodec;
}

/** Where one attempt goes and who hears how it went. */
export interface AttemptTarget {
  readonly endpoints: EndpointPicker;
  readonly endpoint: Endpoint;
  readonly client: Client;
  readonly method: Method;
  /** The call's context when something can abort it: its abort cancels the gRPC call. */
  readonly ctx: Context | undefined;
}

const UNAVAILABLE = 14;
const identity = (bytes: Buffer): Buffer => bytes;

/**
 * One attempt of a unary call, from the request bytes to the decoded response or a SwitchyardError.
 *
 * A class rather than closures: the per-call path allocates one object. The context's abort is
 * listened to with `onAbort`, which builds no AbortSignal for a policy's attempt.
 */
export class UnaryAttempt {
  #resolve!: (value: unknown) => void;
  #reject!: (error: SwitchyardError) => void;
  #call: ClientUnaryCall | undefined;
  #cancelledHere = false;
  #cancelReason: unknown;
  #stopListening: (() => void) | undefined;
  readonly #started: number;
  readonly #target: AttemptTarget;

  constructor(target: AttemptTarget) {
    this.#target = target;
    // Timing costs nothing when nobody listens.
    this.#started = target.endpoints.done ? performance.now() : 0;
  }

  send(request: Buffer, metadata: Metadata, options: { deadline?: number }): Promise<unknown> {
    const { client, method, ctx } = this.#target;
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      // grpc-js captures a stack trace per call for the errors it builds; ours carry their own.
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        this.#call = client.makeUnaryRequest(
          method.path,
          identity,
          identity,
          request,
          metadata,
          options,
          (error: ServiceError | null, response?: Buffer) => this.#complete(error, response),
        );
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }
      if (ctx) this.#stopListening = ctx.onAbort((reason) => this.cancel(reason));
    });
  }

  /** The caller aborted: cancel the gRPC call (the server's handler sees its signal abort). */
  cancel(reason: unknown): void {
    this.#cancelledHere = true;
    this.#cancelReason = reason;
    this.#call?.cancel();
  }

  #complete(error: ServiceError | null, response: Buffer | undefined): void {
    const { method } = this.#target;
    this.#stopListening?.();
    // An abort decides first, as over HTTP: a deadline reads DEADLINE_EXCEEDED, a caller's cancel CANCELLED.
    if (error)
      return this.#failWith(
        this.#cancelledHere
          ? errorOfAbort(this.#cancelReason)
          : fromStatus(error, { notSent: this.#neverSent(error) }),
      );
    let output: unknown;
    try {
      output = method.output.decode(response!);
    } catch (cause) {
      const message = `${method.path} returned a malformed response`;
      return this.#failWith(new SwitchyardError('INTERNAL', message, { cause }));
    }
    this.#report(undefined);
    this.#resolve(output);
  }

  #failWith(error: SwitchyardError): void {
    this.#report(error);
    this.#reject(error);
  }

  #report(error: SwitchyardError | undefined): void {
    const { endpoints, endpoint } = this.#target;
    if (endpoints.done) endpoints.done(endpoint, outcome(this.#started, error));
  }

  /**
   * Whether the call provably never left this process, so even a non-idempotent operation may be
   * retried. grpc-js reports a call that never got a stream (connection refused, no address
   * resolved) as UNAVAILABLE, and its peer is then still the channel's target rather than the address
   * of an HTTP/2 connection. A call that had a stream may have reached the server even without an
   * answer (the server died mid-call), so it is never marked.
   */
  #neverSent(error: ServiceError): boolean {
    if (error.code !== UNAVAILABLE || !this.#call) return false;
    const peer = this.#call.getPeer();
    return peer === 'unknown' || peer === this.#target.client.getChannel().getTarget();
  }
}

/** Caller faults (and the caller's own cancellation) say nothing about the instance's health. */
export function outcome(started: number, error: SwitchyardError | undefined): Outcome {
  const latencyMs = performance.now() - started;
  if (!error) return { ok: true, latencyMs };
  return blame[error.code] === 'callee'
    ? { ok: false, latencyMs }
    : { ok: false, latencyMs, callerFault: true };
}
