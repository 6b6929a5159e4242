import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError, type Code } from '../errors/index.js';
import { retry, safeToRepeat, type GiveUpEvent, type RetryEvent, type RetryOptions } from './retry.js';
import { retryBudget } from './retry-budget.js';

const error = (code: Code, options: ConstructorParameters<typeof SwitchyardError>[2] = {}) =>
  new SwitchyardError(code, code, options);

/** No real waiting: full jitter with random() = 0 sleeps 0 ms. */
function setup(options: Partial<RetryOptions> = {}) {
  const policy = retry({
    maxAttempts: 3,
    backoff: { initialMs: 10, maxMs: 100, multiplier: 2 },
    idempotent: true,
    random: () => 0,
    ...options,
  });
  const retries: RetryEvent[] = [];
  const giveUps: GiveUpEvent[] = [];
  policy.onRetry((e) => retries.push(e));
  policy.onGiveUp((e) => giveUps.push(e));
  return { policy, retries, giveUps };
}

/** fn failing with the given errors in turn, then succeeding; records the attempt numbers it saw. */
function flaky(...errors: unknown[]) {
  const attempts: number[] = [];
  const fn = async (ctx: { attempt: number }) => {
    attempts.push(ctx.attempt);
    if (attempts.length <= errors.length) throw errors[attempts.length - 1];
    return 'ok';
  };
  return { fn, attempts };
}

describe('retry', () => {
  it('retries retryable errors, numbering the attempts', async () => {
    const { policy, retries } = setup();
    const { fn, attempts } = flaky(error('UNAVAILABLE'), error('DEADLINE_EXCEEDED'));
    assert.equal(await policy.execute(fn), 'ok');
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.deepEqual(
      retries.map((r) => r.attempt),
      [1, 2],
    );
  });

  it('gives up after maxAttempts with the last error', async () => {
    const { policy, giveUps } = setup();
    const last = error('UNAVAILABLE');
    const { fn, attempts } = flaky(error('UNAVAILABLE'), error('UNAVAILABLE'), last);
    await assert.rejects(policy.execute(fn), (e) => e === last);
    assert.equal(attempts.length, 3);
    assert.deepEqual(giveUps, [{ attempts: 3, reason: 'max-attempts', error: last }]);
  });

  it('draws each delay uniformly from [0, min(maxMs, initialMs × multiplier^(n-1)))', async () => {
    for (const r of [0, 0.5, 0.999]) {
      const { policy, retries } = setup({
        maxAttempts: 5,
        backoff: { initialMs: 1, maxMs: 4, multiplier: 2 },
        random: () => r,
      });
      const { fn } = flaky(...Array.from({ length: 4 }, () => error('UNAVAILABLE')));
      await policy.execute(fn);
      const caps = [1, 2, 4, 4];
      assert.deepEqual(
        retries.map((e) => e.delayMs),
        caps.map((cap) => r * cap),
      );
      retries.forEach((e, i) => assert.ok(e.delayMs >= 0 && e.delayMs < caps[i]!));
    }
  });

  it('does not retry errors that are not retryable, nor client-side refusals', async () => {
    for (const code of ['NOT_FOUND', 'INVALID_ARGUMENT', 'CIRCUIT_OPEN', 'BULKHEAD_FULL'] as const) {
      const { policy, giveUps } = setup();
      const { fn, attempts } = flaky(error(code));
      await assert.rejects(policy.execute(fn));
      assert.equal(attempts.length, 1, code);
      assert.equal(giveUps[0]?.reason, 'not-retryable');
    }
  });

  it('retries a non-idempotent call only on errors proving the request had no effect', async () => {
    const cases: [SwitchyardError, boolean][] = [
      [error('UNAVAILABLE'), false],
      [error('DEADLINE_EXCEEDED'), false],
      [error('UNAVAILABLE', { details: { notSent: true } }), true],
      [error('RESOURCE_EXHAUSTED'), true],
      [error('FAILED_PRECONDITION', { retryable: true }), true],
      [error('ABORTED'), true],
      [error('INTERNAL', { retryable: true }), true],
      [error('INTERNAL'), false],
      [error('DEADLINE_EXCEEDED', { retryable: true }), false],
      [error('UNAVAILABLE', { details: { notSent: true }, retryable: false }), false],
    ];
    for (const [e, retried] of cases) {
      assert.equal(safeToRepeat(e), retried, e.code);
      const { policy } = setup({ idempotent: false });
      const { fn, attempts } = flaky(e);
      await policy.execute(fn).catch(() => {});
      assert.equal(attempts.length, retried ? 2 : 1, e.code);
    }
  });

  it('lets retryOn narrow what is retried', async () => {
    const { policy } = setup({ retryOn: (e) => SwitchyardError.is(e, 'UNAVAILABLE') });
    const { fn, attempts } = flaky(error('DEADLINE_EXCEEDED'));
    await assert.rejects(policy.execute(fn));
    assert.equal(attempts.length, 1);
  });

  it('stops before a delay that would reach the deadline, rethrowing the last error', async () => {
    const now = () => 1_000;
    const tight = setup({ now, random: () => 0.5 }); // first delay: 5 ms
    const last = error('UNAVAILABLE');
    const one = flaky(last);
    await assert.rejects(tight.policy.execute(one.fn, { deadline: 1_005 }), (e) => e === last);
    assert.equal(one.attempts.length, 1);
    assert.equal(tight.giveUps[0]?.reason, 'deadline');

    const roomy = setup({ now, random: () => 0.5 });
    const two = flaky(error('UNAVAILABLE'));
    assert.equal(await roomy.policy.execute(two.fn, { deadline: 1_006 }), 'ok');
  });

  it('stops at once when the signal aborts during the backoff', async () => {
    const { policy, giveUps } = setup({
      backoff: { initialMs: 60_000, maxMs: 60_000, multiplier: 1 },
      random: () => 1,
    });
    const caller = new AbortController();
    const last = error('UNAVAILABLE');
    const running = policy.execute(() => Promise.reject(last), caller.signal);
    setTimeout(() => caller.abort(), 5);
    await assert.rejects(running, (e) => e === last);
    assert.equal(giveUps[0]?.reason, 'aborted');
  });

  it('does not retry when the signal already aborted', async () => {
    const { policy } = setup();
    const { fn, attempts } = flaky(error('UNAVAILABLE'));
    await assert.rejects(policy.execute(fn, AbortSignal.abort()));
    assert.equal(attempts.length, 1);
  });

  it('reads no clock and draws no jitter when nothing needs them', async () => {
    let reads = 0;
    const policy = retry({
      maxAttempts: 2,
      backoff: { initialMs: 0, maxMs: 0, multiplier: 1 },
      idempotent: true,
      now: () => (reads++, 0),
    });
    await policy.execute(flaky(error('UNAVAILABLE')).fn);
    await policy.execute(flaky(error('NOT_FOUND')).fn).catch(() => {});
    assert.equal(reads, 0);
  });
});

describe('retry budget', () => {
  it('allows retries only while more than half the tokens are left', () => {
    const budget = retryBudget({ maxTokens: 10, tokenRatio: 0.5 });
    for (let i = 0; i < 4; i++) budget.failure();
    assert.deepEqual([budget.tokens, budget.allows()], [6, true]);
    budget.failure();
    assert.deepEqual([budget.tokens, budget.allows()], [5, false]);
    budget.success();
    assert.deepEqual([budget.tokens, budget.allows()], [5.5, true]);
    for (let i = 0; i < 100; i++) budget.success();
    assert.equal(budget.tokens, 10);
  });

  it('throttles retries across calls after failures and recovers with successes', async () => {
    const budget = retryBudget({ maxTokens: 10, tokenRatio: 0.5 });
    const { policy, giveUps } = setup({ budget });
    const down = () => Promise.reject(error('UNAVAILABLE'));
    await assert.rejects(policy.execute(down)); // 3 attempts: 10 → 7
    await assert.rejects(policy.execute(down)); // 2 attempts: 7 → 5, then throttled
    await assert.rejects(policy.execute(down)); // 1 attempt: 5 → 4, throttled
    assert.deepEqual(
      giveUps.map((g) => [g.attempts, g.reason]),
      [
        [3, 'max-attempts'],
        [2, 'budget'],
        [1, 'budget'],
      ],
    );
    // The failure is counted before the check: 4 → 6.5 after five successes, 5.5 after the failure.
    for (let i = 0; i < 5; i++) await policy.execute(async () => 'ok');
    const { fn, attempts } = flaky(error('UNAVAILABLE'));
    assert.equal(await policy.execute(fn), 'ok');
    assert.equal(attempts.length, 2);
  });
});
