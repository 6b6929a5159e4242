import type { AnyContract } from '../../contract/index.js';
import { SwitchyardError } from '../../errors/index.js';
import type { Messaging } from '../../messaging/bus/index.js';
import { Context, checkInput } from '../../runtime/index.js';
import { decodeBody, readRequestBody } from '../handlers/io.js';
import type { Handler } from '../handlers/operation.js';
import { single } from '../http/headers.js';
import { writeJson } from '../http/respond.js';
import { clientKey } from '../policies/edge.js';
import type { Exchange } from '../route.js';
import type { OperationStore } from './operations.js';

/**
 * HTTP → messaging: the body is checked against the command's payload schema and sent. The answer is
 * 202 Accepted with the `Location` of an operation-status resource; a client sending `Prefer: wait=N`
 * (RFC 7240) gets the reply itself when it comes within N seconds (200, or the reply's error).
 */
export function commandRoute(options: {
  messaging: Messaging;
  operations: OperationStore;
  contract: AnyContract;
  command: string;
  operationsPath: string;
  maxWaitSeconds: number;
  requestTimeoutMs: number;
}): Handler {
  const { messaging, operations, contract, command, operationsPath } = options;
  const def = contract.commands[command]!;
  const name = `${contract.name}@${contract.major}.${command}`;
  return async (ex) => {
    const payload = checkInput(def.payload, decodeBody(ex, await readRequestBody(ex)) ?? {}, name);
    // The command outlives this request when the client does not wait: it gets a context of its own.
    // The caller's identity reaches the handler's `ctx.metadata`, as on forwarded calls.
    const parent = new Context({
      correlationId: ex.requestId,
      trace: ex.trace,
      ...(ex.identityHeaders === undefined ? {} : { metadata: ex.identityHeaders }),
    });
    const owner = ex.identity ? clientKey(ex) : undefined;
    let accepted;
    if (def.reply === undefined) {
      await messaging.send(contract, command as never, payload as never, { parent });
      accepted = await operations.start(name, owner, undefined);
    } else {
      const timeoutMs = options.requestTimeoutMs;
      accepted = await operations.start(name, owner, () =>
        messaging.request(contract, command as never, payload as never, { parent, timeoutMs }),
      );
      const wait = Math.min(preferredWait(single(ex.req.headers.prefer)) ?? 0, options.maxWaitSeconds);
      if (wait > 0) {
        ex.extra.push('preference-applied', `wait=${wait}`);
        const status = await within(accepted.settled, wait * 1000);
        if (status?.status === 'succeeded') return writeJson(ex.res, 200, status.result, ex.extra);
        if (status?.status === 'failed') throw SwitchyardError.from(status.error);
      }
    }
    const { id, status } = accepted.status;
    const location = `${operationsPath}/${id}`;
    ex.extra.push('location', location);
    writeJson(ex.res, 202, { id, status, command: name, href: location }, ex.extra);
  };
}

/** `GET <operations path>/:id`: the status of an accepted command, to the caller who sent it. */
export function operationStatusRoute(operations: OperationStore): Handler {
  return async (ex: Exchange) => {
    const id = ex.params[0]!;
    const status = await operations.get(id, ex.identity ? clientKey(ex) : undefined);
    if (!status) throw new SwitchyardError('NOT_FOUND', `No operation ${id}`);
    if (status.status === 'pending') ex.extra.push('retry-after', '1');
    writeJson(ex.res, 200, status, ex.extra);
  };
}

/** `wait=N` of a `Prefer` header, in seconds. */
export function preferredWait(prefer: string | undefined): number | undefined {
  if (!prefer) return undefined;
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(prefer);
  return match ? Number(match[1]) : undefined;
}

/** What `settled` settles with within `ms`, or undefined. */
function within<T>(settled: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((done) => {
    const timer = setTimeout(() => done(undefined), ms);
    void settled.then((value) => {
      clearTimeout(timer);
      done(value);
    });
  });
}
