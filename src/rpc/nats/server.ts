import type { Service, ServiceMsg } from 'nats';
import { codecForContentType, json, type Codec } from '../../codec/index.js';
import type { AnyContract, OperationDef } from '../../contract/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { Context, deadlineExceeded, type Host } from '../../runtime/index.js';
import { openConnection, type NatsConnectionOptions, type OpenConnection } from './connection.js';
import { errorReply } from './errors.js';
import { readRequestHeaders } from './headers.js';
import { checkPrefix, defaultSubjectPrefix, operationSubject, queueGroup } from './subjects.js';

export interface NatsServerOptions extends NatsConnectionOptions {
  /** The host whose services are served; every contract it implements when `listen()` runs. */
  host: Host;
  /** First tokens of every subject (default `switchyard`); clients must use the same. */
  subjectPrefix?: string;
}

export interface NatsServer {
  /** Connects (unless given a connection) and serves every operation; resolves once NATS routes to us. */
  listen(): Promise<void>;
  /**
   * Stops taking requests (the queue-group subscriptions are drained, so NATS sends new requests to the
   * other instances), waits up to `graceMs` (default 10 s) for calls in flight to answer, then closes
   * the connection if it opened it.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** One operation as an endpoint; also what the micro stats report for it. */
interface Route {
  readonly contract: AnyContract;
  readonly operation: string;
  readonly def: OperationDef;
  errors: number;
  lastError: string | undefined;
}

/**
 * Serves a host's operations over NATS request-reply as NATS services ("micro"): one service per
 * contract (name and version from the contract), one endpoint per operation on
 * `<prefix>.<service>.v<major>.<operation>` in queue group `<service>.v<major>`. So `nats micro ls`,
 * `nats micro ping` and `$SRV.*` requests see them, and NATS balances requests across instances.
 */
export function createNatsServer(options: NatsServerOptions): NatsServer {
  const { host } = options;
  const prefix = checkPrefix(options.subjectPrefix ?? defaultSubjectPrefix);
  const services: Service[] = [];
  let connection: OpenConnection | undefined;
  let listening: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let inFlight = 0;
  let onIdle: (() => void) | undefined;

  async function serve(route: Route, msg: ServiceMsg): Promise<void> {
    inFlight++;
    let codec: Codec = json;
    try {
      const headers = msg.headers;
      let ctx: Context;
      if (headers === undefined) ctx = new Context({ clients: host });
      else {
        const inbound = readRequestHeaders(headers, Date.now());
        if (inbound.contentType !== undefined) codec = codecOf(inbound.contentType);
        inbound.init.clients = host;
        ctx = new Context(inbound.init);
        // The caller has already given up: don't spend work on an answer nobody reads.
        if (ctx.expired) throw deadlineExceeded();
      }
      // An empty body is an empty input, so `nats req <subject> ''` works for operations that need nothing.
      const data = msg.data;
      const input = data.length === 0 ? {} : codec.decode(data);
      const output = await host.dispatch({
        contract: route.contract,
        operation: route.operation,
        def: route.def,
        input,
        ctx,
      });
      respond(route, msg, codec.encode(output));
    } catch (error) {
      respondError(route, msg, SwitchyardError.from(error));
    } finally {
      if (--inFlight === 0) onIdle?.();
    }
  }

  async function start(): Promise<void> {
    if (closing) throw new SwitchyardError('FAILED_PRECONDITION', 'This NATS server was closed');
    connection = await openConnection(options, { name: host.name });
    const { nc } = connection;
    for (const contract of host.services()) {
      const routes = new Map<string, Route>();
      const service = await nc.services.add({
        name: contract.name,
        version: contract.version,
        description: contract.description ?? '',
        metadata: { major: String(contract.major), subjectPrefix: prefix, host: host.name },
        // nats.js counts errors only for handlers that throw synchronously; ours answer asynchronously.
        statsHandler: (endpoint) => {
          const route = routes.get(endpoint.subject);
          return Promise.resolve(route ? { errors: route.errors, lastError: route.lastError } : null);
        },
      });
      services.push(service);
      for (const [operation, def] of Object.entries(contract.operations)) {
        const route: Route = { contract, operation, def, errors: 0, lastError: undefined };
        const subject = operationSubject(prefix, contract, operation);
        routes.set(subject, route);
        service.addEndpoint(operation, {
          subject,
          queue: queueGroup(contract),
          handler: (error, msg) => {
            // An error here means the subscription failed; nats.js stops the service itself.
            if (error === null) void serve(route, msg);
          },
        });
      }
    }
    // Once the server has our subscriptions, a request cannot find "no responders".
    await nc.flush();
  }

  function idle(graceMs: number): Promise<void> {
    if (inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      onIdle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  return {
    listen: () => (listening ??= start()),
    close(closeOptions = {}) {
      return (closing ??= (async () => {
        await listening?.catch(() => undefined);
        await Promise.all(services.map((service) => service.stop()));
        await idle(closeOptions.graceMs ?? 10_000);
        const nc = connection?.nc;
        if (!nc || nc.isClosed()) return;
        // Our replies may still sit in the outbound buffer: drain (ours) or flush (the caller's) sends them.
        await (connection!.owned ? nc.drain() : nc.flush()).catch(() => undefined);
      })());
    },
  };
}

function codecOf(contentType: string): Codec {
  const codec = codecForContentType(contentType);
  if (!codec)
    throw new SwitchyardError('UNSUPPORTED_MEDIA_TYPE', `Cannot decode ${contentType}`, {
      details: { contentType, supported: ['application/json', 'application/msgpack'] },
    });
  return codec;
}

function respond(route: Route, msg: ServiceMsg, data: Uint8Array): void {
  try {
    msg.respond(data);
  } catch (error) {
    // nats.js refuses a reply over the server's max_payload before sending it: say so, rather than
    // leave the caller waiting for its deadline. Otherwise the connection is gone and nothing can be sent.
    if ((error as { code?: unknown }).code === 'MAX_PAYLOAD_EXCEEDED')
      respondError(
        route,
        msg,
        new SwitchyardError('PAYLOAD_TOO_LARGE', "The reply exceeds the NATS server's max_payload", {
          details: { reply: true, bytes: data.length },
        }),
      );
  }
}

function respondError(route: Route, msg: ServiceMsg, error: SwitchyardError): void {
  route.errors++;
  route.lastError = `${error.code}: ${error.message}`;
  const reply = errorReply(error);
  try {
    msg.respondError(reply.status, reply.description, reply.body);
  } catch {
    // As in respond.
  }
}
