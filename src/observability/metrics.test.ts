import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type, contract, operation } from '../contract/index.js';
import { SwitchyardError } from '../errors/index.js';
import { resilienceInterceptor } from '../resilience/index.js';
import { runServiceProcess } from '../rpc/index.js';
import { createHost, defineService } from '../runtime/index.js';
import { createMetrics } from './index.js';

const Flaky = contract({
  name: 'flaky',
  version: '1.0.0',
  operations: {
    get: operation({
      input: Type.Object({ fail: Type.Boolean() }),
      output: Type.Object({ ok: Type.Boolean() }),
      idempotent: true,
    }),
  },
});

describe('metrics', () => {
  it('counts calls by outcome code and exports breaker state changes', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const resilience = resilienceInterceptor({
      default: {
        circuitBreaker: {
          window: { type: 'count', size: 4 },
          minimumCalls: 4,
          failureRateThreshold: 50,
          openDurationMs: 60_000,
          halfOpen: { permittedCalls: 1, maxWaitMs: 1_000 },
        },
      },
    });
    metrics.observeResilience(resilience.events);
    const host = createHost({
      interceptors: [metrics.client, resilience],
      serverInterceptors: [metrics.server],
    });
    host.implement(Flaky, {
      get: ({ fail }) => {
        if (fail) throw new SwitchyardError('UNAVAILABLE', 'down');
        return { ok: true };
      },
    });
    const client = host.client(Flaky);
    await client.get({ fail: false });
    // OK, then three failures fill the window of four at 75% ≥ 50%: the breaker opens, and the fourth
    // failing call and the last call are refused without reaching the server.
    for (let i = 0; i < 4; i++) await client.get({ fail: true }).catch(() => undefined);
    await assert.rejects(client.get({ fail: false }), (e: unknown) => SwitchyardError.is(e, 'CIRCUIT_OPEN'));

    const { body } = await metrics.render();
    assert.match(
      body,
      /switchyard_rpc_client_requests_total\{service="flaky@v1",operation="get",code="OK"\} 1/,
    );
    assert.match(
      body,
      /switchyard_rpc_client_requests_total\{service="flaky@v1",operation="get",code="CIRCUIT_OPEN"\} 2/,
    );
    assert.match(
      body,
      /switchyard_rpc_server_requests_total\{service="flaky@v1",operation="get",code="UNAVAILABLE"\} 3/,
    );
    assert.match(body, /switchyard_circuit_breaker_state\{service="flaky@v1",operation="get"\} 2/);
    assert.match(
      body,
      /switchyard_circuit_breaker_transitions_total\{service="flaky@v1",operation="get",from="closed",to="open"\} 1/,
    );
  });

  it('are served at /metrics by a service process', async () => {
    const running = await runServiceProcess({
      services: [defineService(Flaky, () => ({ get: () => ({ ok: true }) }))],
      handleSignals: false,
      log: () => {},
    });
    try {
      const address = running.endpoints.http!;
      await fetch(`http://${address}/v1/get`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"fail":false}',
      }).then((r) => r.arrayBuffer());
      const response = await fetch(`http://${address}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
      const text = await response.text();
      assert.match(
        text,
        /switchyard_rpc_server_requests_total\{service="flaky@v1",operation="get",code="OK",process="flaky"\} 1/,
      );
      assert.match(text, /switchyard_process_resident_memory_bytes/);
    } finally {
      await running.stop();
    }
  });
});
