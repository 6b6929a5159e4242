import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { childTrace, traceIdOf } from '../../envelope/index.js';
import { SwitchyardError, type Code } from '../../errors/index.js';
import { Context, createHost, type Host, type HostOptions, type Transport } from '../../runtime/index.js';
import { ConformanceContract } from './contract.js';
import { conformanceService, type Recorder } from './service.js';

/** A server the harness started for one host, and the way to reach it. */
export interface ServedRpc {
  /** A new client transport to this server; the suite closes it. */
  transport(): Transport;
  /** Graceful close: stop taking calls, let in-flight ones finish within `graceMs`. */
  close(options?: { graceMs?: number }): Promise<void>;
  /** Close, then serve the same host again where clients reach it (same port, same subject, …). */
  restart?(): Promise<void>;
}

/**
 * What a transport can do, declared honestly: a case is skipped only when its flag says the
 * transport lacks the feature. Every flag defaults to "supported".
 */
export interface RpcCapabilities {
  /**
   * The server-side context's signal aborts when the client gives up (cancels, or its deadline
   * passes) mid-call. HTTP (the connection closes) and gRPC (RST_STREAM) do; a request/reply over a
   * broker has no message for it.
   */
  cancellation?: boolean;
  /**
   * A call to a server that is down fails UNAVAILABLE with `details.notSent`, because the transport
   * can tell that nothing was sent (connection refused, no responders).
   */
  notSent?: boolean;
  /** The server refuses inputs over this many encoded bytes with PAYLOAD_TOO_LARGE; omit if it has no limit. */
  payloadLimitBytes?: number;
  /** `close()` lets an in-flight call finish before the server stops. */
  gracefulClose?: boolean;
}

export interface RpcHarness {
  /** Serves every contract the host implements, ready to be called when the promise resolves. */
  serve(host: Host): Promise<ServedRpc>;
  capabilities?: RpcCapabilities;
}

/**
 * The conformance suite every RPC transport runs against its real server: typed round trips, the
 * error model, context propagation, deadlines, concurrency, a restart and a graceful close. A new
 * transport is done when this passes.
 */
export function describeRpcTransport(name: string, harness: RpcHarness): void {
  const caps = harness.capabilities ?? {};
  const skip = (supported: boolean | undefined, what: string) =>
    supported === false ? `${name} does not support ${what}` : false;

  describe(`RPC transport conformance: ${name}`, () => {
    const opened: Host[] = [];
    let recorder: Recorder;
    let served: ServedRpc;

    const start = async () => {
      const service = conformanceService();
      const host = createHost({ name: 'conformance-server' });
      host.implement(ConformanceContract, service.implementation);
      opened.push(host);
      return { served: await harness.serve(host), recorder: service.recorder };
    };
    const clientOf = (to: ServedRpc, options: HostOptions = {}) => {
      const transport = to.transport();
      const host = createHost({ name: 'conformance-client', ...options, transports: () => transport });
      opened.push(host);
      return host.client(ConformanceContract);
    };

    before(async () => {
      ({ served, recorder } = await start());
    });
    after(async () => {
      await served.close({ graceMs: 0 });
      await Promise.all(opened.map((host) => host.close()));
    });

    it('round-trips typed values through every method and parameter style', async () => {
      const client = clientOf(served);
      const payload = {
        text: 'grüße / ? & = %',
        count: -42,
        ratio: 0.25,
        flag: false,
        tags: ['a', 'b c'],
        nested: { label: 'n', items: [{ qty: 1 }, { qty: 2 }] },
        counts: { x: 1, 'y z': 2 },
        note: 'optional',
      };
      assert.deepEqual(await client.echo(payload), payload);
      const item = { id: 7, name: 'a/b?c', tags: ['x', 'y'], active: true, kind: 'large' as const };
      assert.deepEqual(await client.getItem({ ...item, filter: { min: 2, labels: ['p', 'q'] } }), {
        ...item,
        filter: { min: 2, labels: ['p', 'q'] },
      });
      assert.deepEqual(await client.getItem({ id: 1 }), { id: 1 });
      assert.deepEqual(await client.putItem({ id: 'k 1', name: 'n', count: 3 }), {
        id: 'k 1',
        name: 'n',
        count: 3,
      });
      assert.deepEqual(await client.removeItem({ id: 9, reason: 'gone' }), { removed: 9, reason: 'gone' });
    });

    it('carries errors across with code, message, details and retryable', async () => {
      const error = await rejection(clientOf(served).fail({ orderId: 'o-1' }), 'FAILED_PRECONDITION');
      assert.equal(error.message, 'card declined');
      assert.deepEqual(error.details, {
        violations: [{ path: '/card', rule: 'valid', message: 'declined' }],
        orderId: 'o-1',
      });
      assert.equal(error.retryable, true);
    });

    it('answers an unknown exception as INTERNAL without its message', async () => {
      const error = await rejection(clientOf(served).crash({}), 'INTERNAL');
      assert.doesNotMatch(error.message, /hunter2/);
    });

    it('validates on the server when the client does not', async () => {
      const client = clientOf(served, { validate: false });
      const before = recorder.calls;
      const error = await rejection(client.validated({ name: 'ab', quantity: 0 }), 'INVALID_ARGUMENT');
      assert.deepEqual(error.details.violations?.map((v) => [v.path, v.rule]).sort(), [
        ['/name', 'minLength'],
        ['/quantity', 'minimum'],
      ]);
      assert.equal(recorder.calls, before, 'the handler never ran');
    });

    it('answers INTERNAL when the handler output breaks its schema', async () => {
      const error = await rejection(clientOf(served).badOutput({}), 'INTERNAL');
      assert.ok(error.details.violations?.some((v) => v.path === '/total'));
    });

    it('propagates correlation id, causation id, trace and metadata to the server context', async () => {
      const ids: string[] = [];
      const transport = served.transport();
      const host = createHost({
        transports: () => transport,
        interceptors: [(next) => (call) => (ids.push(call.ctx.id), next(call))],
      });
      opened.push(host);
      const parent = new Context({ correlationId: 'corr-1', trace: childTrace() });
      const seen = await host
        .client(ConformanceContract)
        .inspect({}, { parent, metadata: { tenant: 'acme' } });
      assert.equal(seen.id, ids[0], 'the server context continues the call');
      assert.equal(seen.correlationId, 'corr-1');
      assert.equal(seen.causationId, parent.id);
      assert.equal(traceIdOf(seen.traceparent), traceIdOf(parent.trace.traceparent));
      assert.equal(seen.metadata.tenant, 'acme');
      assert.equal(seen.remainingMs, undefined, 'no deadline was set');
    });

    it('propagates the deadline as time remaining', async () => {
      const seen = await clientOf(served).inspect({}, { timeoutMs: 2_000 });
      assert.ok(
        seen.remainingMs !== undefined && seen.remainingMs > 1_000 && seen.remainingMs <= 2_000,
        String(seen.remainingMs),
      );
    });

    it('fails a slow call with DEADLINE_EXCEEDED when its deadline passes', async () => {
      const aborted = recorder.aborted();
      const started = Date.now();
      await rejection(clientOf(served).sleep({ ms: 10_000 }, { timeoutMs: 300 }), 'DEADLINE_EXCEEDED');
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 290 && elapsed < 1_500, `answered after ${elapsed} ms`);
      // The server gives up too, on its own copy of the deadline if nothing else.
      await aborted;
    });

    it('fails a spent deadline without reaching the server', async () => {
      const before = recorder.calls;
      await rejection(clientOf(served).inspect({}, { deadline: Date.now() - 1 }), 'DEADLINE_EXCEEDED');
      assert.equal(recorder.calls, before);
    });

    it(
      'aborts the server context when the caller cancels',
      { skip: skip(caps.cancellation, 'cancellation') },
      async () => {
        const controller = new AbortController();
        const client = clientOf(served);
        const sleeping = recorder.sleeping();
        const aborted = recorder.aborted();
        const call = client.sleep({ ms: 10_000 }, { signal: controller.signal });
        await sleeping;
        controller.abort();
        await rejection(call, 'CANCELLED');
        await aborted;
      },
    );

    it('answers 200 concurrent calls', async () => {
      const client = clientOf(served);
      const base = { count: 0, ratio: 1, flag: true, tags: [], nested: { label: '', items: [] }, counts: {} };
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          client.echo({ ...base, text: `call-${i}`, count: i, delayMs: 5 }),
        ),
      );
      results.forEach((result, i) => assert.equal(result.text, `call-${i}`));
    });

    it(
      'refuses an oversized input with PAYLOAD_TOO_LARGE',
      { skip: caps.payloadLimitBytes === undefined && `${name} declares no payload limit` },
      async () => {
        const limit = caps.payloadLimitBytes ?? 0;
        const client = clientOf(served);
        const base = {
          count: 0,
          ratio: 1,
          flag: true,
          tags: [],
          nested: { label: '', items: [] },
          counts: {},
        };
        await rejection(client.echo({ ...base, text: 'x'.repeat(limit + 1) }), 'PAYLOAD_TOO_LARGE');
        assert.equal((await client.echo({ ...base, text: 'fits' })).text, 'fits', 'the server keeps serving');
      },
    );

    it('recovers with the same transport after the server restarts', async (t) => {
      const own = await start();
      try {
        if (!own.served.restart) return t.skip(`the ${name} harness cannot restart a server`);
        const client = clientOf(own.served);
        assert.equal((await client.removeItem({ id: 1 })).removed, 1);
        await own.served.restart();
        // A kept-alive connection may still look open for an instant after the old server closed it,
        // so the first call may fail; the transport must be working again by the next one.
        assert.equal((await eventually(() => client.removeItem({ id: 2 }))).removed, 2);
      } finally {
        await own.served.close({ graceMs: 0 });
      }
    });

    it('fails UNAVAILABLE while the server is down', async () => {
      const own = await start();
      const client = clientOf(own.served);
      await client.removeItem({ id: 1 });
      await own.served.close({ graceMs: 0 });
      let error = await rejection(client.removeItem({ id: 2 }), 'UNAVAILABLE');
      // As above: the first call may meet the closed connection; later ones must know nothing was sent.
      if (error.details.notSent !== true)
        error = await rejection(client.removeItem({ id: 3 }), 'UNAVAILABLE');
      if (caps.notSent !== false) assert.equal(error.details.notSent, true);
    });

    it(
      'lets an in-flight call finish on graceful close',
      { skip: skip(caps.gracefulClose, 'graceful close') },
      async () => {
        const own = await start();
        const client = clientOf(own.served);
        const sleeping = own.recorder.sleeping();
        const call = client.sleep({ ms: 300 });
        await sleeping;
        let closed = false;
        const closing = own.served.close({ graceMs: 5_000 }).then(() => (closed = true));
        const result = await call;
        assert.ok(result.slept >= 290, 'the handler ran to the end');
        await closing;
        assert.ok(closed);
        await rejection(client.removeItem({ id: 1 }), 'UNAVAILABLE');
      },
    );
  });
}

/** The first success of up to three tries; only UNAVAILABLE failures are tolerated. */
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= 3 || !SwitchyardError.is(error, 'UNAVAILABLE')) throw error;
    }
  }
}

async function rejection(promise: Promise<unknown>, code: Code): Promise<SwitchyardError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SwitchyardError, `expected a SwitchyardError, got ${String(error)}`);
    assert.equal(error.code, code, `${error.code}: ${error.message}`);
    return error;
  }
  assert.fail(`expected ${code}, the call succeeded`);
}
