import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { SwitchyardError, type Code } from 'switchyard/errors';
import { resilienceInterceptor } from 'switchyard/resilience';
import { httpTransport, staticEndpoint } from 'switchyard/rpc';
import { createHost } from 'switchyard/runtime';
import { PricingContract } from './fixtures/contracts.js';
import { killAll, spawnService } from './processes.js';

const stale = { sku: '?', price: -1, source: 'fallback' };

describe(
  'circuit breaker and fallback against a callee process that dies and returns',
  { timeout: 60_000 },
  () => {
    after(() => killAll());

    it('opens on UNAVAILABLE, falls back, probes after openDurationMs and closes when the callee is back', async () => {
      const callee = await spawnService('pricing');
      const resilience = resilienceInterceptor({
        default: {
          timeoutMs: 200,
          circuitBreaker: {
            window: { type: 'count', size: 10 },
            minimumCalls: 5,
            failureRateThreshold: 50,
            openDurationMs: 500,
            halfOpen: { permittedCalls: 1, maxWaitMs: 1_000 },
          },
          fallback: { kind: 'value', value: stale },
        },
      });
      const transitions: string[] = [];
      const fellBackOn: Code[] = [];
      resilience.events.onStateChange((e) => transitions.push(`${e.from}→${e.to}`));
      resilience.events.onFallback((e) =>
        fellBackOn.push(SwitchyardError.is(e.error) ? e.error.code : 'UNKNOWN'),
      );
      const host = createHost({
        interceptors: [resilience],
        transports: () => httpTransport({ endpoints: staticEndpoint(callee.address) }),
      });
      const pricing = host.client(PricingContract);
      try {
        assert.deepEqual(await pricing.getPrice({ sku: 'a' }), { sku: 'a', price: 42, source: 'live' });

        callee.child.kill('SIGKILL');
        await callee.exited;
        for (let i = 0; i < 20 && !transitions.includes('closed→open'); i++)
          assert.deepEqual(await pricing.getPrice({ sku: 'a' }), stale);
        assert.deepEqual(transitions, ['closed→open']);
        assert.ok(
          fellBackOn.length >= 4 && fellBackOn.every((code) => code === 'UNAVAILABLE'),
          fellBackOn.join(),
        );
        assert.deepEqual(await pricing.getPrice({ sku: 'a' }), stale);
        assert.equal(fellBackOn.at(-1), 'CIRCUIT_OPEN', 'while open, calls are not sent');

        await spawnService('pricing', { PORT: String(callee.port) });
        let answer = await pricing.getPrice({ sku: 'b' });
        for (let i = 0; i < 60 && answer.source !== 'live'; i++) {
          await sleep(50);
          answer = await pricing.getPrice({ sku: 'b' });
        }
        assert.deepEqual(answer, { sku: 'b', price: 42, source: 'live' });
        assert.equal(transitions.at(-2), 'open→half-open');
        assert.equal(transitions.at(-1), 'half-open→closed');
      } finally {
        await host.close();
      }
    });
  },
);
