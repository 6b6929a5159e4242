import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../errors/index.js';
import { circuitBreaker } from './circuit-breaker.js';
import { fallback } from './fallback.js';
import type { ExecuteContext, Policy } from './policy.js';
import { toContext } from './policy.js';
import { retry } from './retry.js';
import { timeout } from './timeout.js';
import { wrap } from './wrap.js';

/** A policy that only logs when a call enters and leaves it. */
function tracing(name: string, log: string[]): Policy {
  return {
    async execute(fn, options) {
      log.push(`>${name}`);
      try {
        return await fn(toContext(options));
      } finally {
        log.push(`<${name}`);
      }
    },
  };
}

describe('wrap', () => {
  it('runs the first policy outermost', async () => {
    const log: string[] = [];
    await wrap(tracing('a', log), tracing('b', log)).execute(async () => void log.push('fn'));
    assert.deepEqual(log, ['>a', '>b', 'fn', '<b', '<a']);
  });

  it('threads one signal from the caller through every layer to fn', async () => {
    const caller = new AbortController();
    let seen: AbortSignal | undefined;
    const running = wrap(tracing('a', []), timeout(60_000), tracing('b', [])).execute(
      (ctx) => ((seen = ctx.signal), new Promise<never>(() => {})),
      caller.signal,
    );
    caller.abort();
    await assert.rejects(running, (e) => SwitchyardError.is(e, 'CANCELLED'));
    assert.equal(seen?.aborted, true);
  });

  it('passes attempt numbers and the deadline down, and lets inner layers see each attempt', async () => {
    const seen: Pick<ExecuteContext, 'attempt' | 'deadline'>[] = [];
    const policy = wrap(
      retry({ maxAttempts: 3, backoff: { initialMs: 0, maxMs: 0, multiplier: 1 }, idempotent: true }),
      timeout({ ms: 50, now: () => 1_000 }),
    );
    await policy
      .execute(
        async ({ attempt, deadline }) => {
          seen.push({ attempt, deadline });
          throw new SwitchyardError('UNAVAILABLE', 'down');
        },
        { deadline: Date.now() + 60_000 },
      )
      .catch(() => {});
    assert.deepEqual(seen, [
      { attempt: 1, deadline: 1_050 },
      { attempt: 2, deadline: 1_050 },
      { attempt: 3, deadline: 1_050 },
    ]);
  });

  it('composes fallback, retry and breaker: each attempt is judged, an open breaker is not retried', async () => {
    const breaker = circuitBreaker({
      window: { type: 'count', size: 10 },
      failureRateThreshold: 100,
      minimumCalls: 3,
      openDurationMs: 60_000,
      halfOpen: { permittedCalls: 1, maxWaitMs: 1000 },
    });
    const policy = wrap(
      fallback({ kind: 'value', value: 'cached' }),
      retry({ maxAttempts: 3, backoff: { initialMs: 0, maxMs: 0, multiplier: 1 }, idempotent: true }),
      breaker,
    );
    let calls = 0;
    const down = async (): Promise<string> => {
      calls++;
      throw new SwitchyardError('UNAVAILABLE', 'down');
    };
    const first: string = await policy.execute(down);
    assert.deepEqual([first, calls, breaker.state], ['cached', 3, 'open']);
    assert.equal(await policy.execute(down), 'cached');
    assert.equal(calls, 3); // the open breaker refused, and CIRCUIT_OPEN was not retried
  });
});
