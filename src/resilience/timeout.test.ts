import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../errors/index.js';
import type { ExecuteContext } from './policy.js';
import { retry } from './retry.js';
import { timeout, type TimeoutEvent } from './timeout.js';
import { wrap } from './wrap.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const forever = () => new Promise<never>(() => {});

describe('timeout', () => {
  it('rejects with DEADLINE_EXCEEDED and aborts the inner signal, even if fn ignores it', async () => {
    const policy = timeout(10);
    const events: TimeoutEvent[] = [];
    policy.onTimeout((e) => events.push(e));
    let inner: AbortSignal | undefined;
    await assert.rejects(
      policy.execute((ctx) => ((inner = ctx.signal), forever())),
      (e) => SwitchyardError.is(e, 'DEADLINE_EXCEEDED'),
    );
    assert.equal(inner?.aborted, true);
    assert.ok(SwitchyardError.is(inner?.reason, 'DEADLINE_EXCEEDED'));
    assert.deepEqual(events, [{ ms: 10 }]);
  });

  it('returns the result and leaves no timer behind', async () => {
    const before = timers();
    const policy = timeout({ ms: 60_000 });
    assert.equal(await policy.execute(async () => 'ok'), 'ok');
    await assert.rejects(
      policy.execute(() => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(timers(), before);
  });

  it('piles no listeners on a shared signal when calls come without one', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const policy = timeout(1000);
    await Promise.all(Array.from({ length: 20 }, () => policy.execute(async () => 1)));
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    assert.deepEqual(warnings, []);
  });

  it('turns a synchronous throw into a rejection', async () => {
    await assert.rejects(
      timeout(1000).execute(() => {
        throw new Error('sync');
      }),
      /sync/,
    );
  });

  it('rejects at once with CANCELLED when the caller aborts, and aborts the inner signal', async () => {
    const caller = new AbortController();
    let inner: AbortSignal | undefined;
    const running = timeout(60_000).execute((ctx) => ((inner = ctx.signal), forever()), caller.signal);
    caller.abort();
    await assert.rejects(running, (e) => SwitchyardError.is(e, 'CANCELLED'));
    assert.equal(inner?.aborted, true);
  });

  it('reads a timed-out caller signal as DEADLINE_EXCEEDED and does not call fn', async () => {
    let called = false;
    const signal = AbortSignal.abort(new DOMException('late', 'TimeoutError'));
    await assert.rejects(
      timeout(1000).execute(async () => (called = true), signal),
      (e) => SwitchyardError.is(e, 'DEADLINE_EXCEEDED'),
    );
    assert.equal(called, false);
  });

  it('never gives an attempt more than the deadline leaves', async () => {
    const policy = timeout({ ms: 60_000, now: () => 1_000 });
    const events: TimeoutEvent[] = [];
    policy.onTimeout((e) => events.push(e));
    let seen: ExecuteContext | undefined;
    await assert.rejects(
      policy.execute((ctx) => ((seen = ctx), forever()), { deadline: 1_015, attempt: 2 }),
      (e) => SwitchyardError.is(e, 'DEADLINE_EXCEEDED'),
    );
    assert.equal(seen?.deadline, 1_015);
    assert.equal(seen?.attempt, 2);
    assert.deepEqual(events, [{ ms: 15 }]);
  });

  it('fails without calling fn when the deadline has passed', async () => {
    let called = false;
    await assert.rejects(
      timeout({ ms: 100, now: () => 2_000 }).execute(async () => (called = true), { deadline: 2_000 }),
      (e) => SwitchyardError.is(e, 'DEADLINE_EXCEEDED'),
    );
    assert.equal(called, false);
  });
});

describe('timeout, lazily', () => {
  it('builds no AbortSignal for an attempt that ends in time and whose signal nobody reads', async () => {
    const Original = globalThis.AbortController;
    let made = 0;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        made++;
      }
    };
    try {
      const policy = timeout(60_000);
      assert.equal(await policy.execute(async () => 'ok'), 'ok');
      assert.equal(made, 0);
      await policy.execute(async (ctx) => ctx.signal);
      assert.equal(made, 1, 'reading the signal builds it');
    } finally {
      globalThis.AbortController = Original;
    }
  });

  it('keeps the attempt’s signal when an inner policy copies the context', async () => {
    let attempts = 0;
    const signals: AbortSignal[] = [];
    const policy = wrap(
      timeout(30),
      retry({ maxAttempts: 2, backoff: { initialMs: 0, maxMs: 0, multiplier: 1 }, idempotent: true }),
    );
    await assert.rejects(
      policy.execute((ctx) => {
        signals.push(ctx.signal);
        if (++attempts === 1) return Promise.reject(new SwitchyardError('UNAVAILABLE', 'once'));
        return forever();
      }),
      (e) => SwitchyardError.is(e, 'DEADLINE_EXCEEDED'),
    );
    assert.equal(signals.length, 2);
    for (const signal of signals) assert.equal(signal.aborted, true);
  });
});
