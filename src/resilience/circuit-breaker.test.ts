import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError, type Code } from '../errors/index.js';
import { circuitBreaker, type CircuitBreakerOptions, type StateChangeEvent } from './circuit-breaker.js';

function deferred<T = string>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A breaker on a fake clock: tests move `clock.t` instead of sleeping. */
function setup(overrides: Partial<CircuitBreakerOptions> = {}) {
  const clock = { t: 0, reads: 0 };
  const breaker = circuitBreaker({
    window: { type: 'count', size: 10 },
    failureRateThreshold: 50,
    minimumCalls: 4,
    openDurationMs: 1000,
    halfOpen: { permittedCalls: 2, maxWaitMs: 500 },
    now: () => (clock.reads++, clock.t),
    ...overrides,
  });
  const changes: string[] = [];
  breaker.onStateChange((e: StateChangeEvent) => changes.push(`${e.from}>${e.to}:${e.reason}`));
  return { breaker, clock, changes };
}

const error = (code: Code = 'UNAVAILABLE') => new SwitchyardError(code, code);
const ok = () => Promise.resolve('ok');
const fail = (code?: Code) => () => Promise.reject(error(code));

/** Runs a sequence: 'F' fails, 'O' succeeds. */
async function run(breaker: ReturnType<typeof setup>['breaker'], outcomes: string): Promise<void> {
  for (const o of outcomes) await breaker.execute(o === 'F' ? fail() : ok).catch(() => {});
}

async function rejectsWith(promise: Promise<unknown>, code: Code): Promise<SwitchyardError> {
  const e = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(SwitchyardError.is(e, code), `expected ${code}, got ${String(e)}`);
  return e;
}

/** Opens the breaker at t = 0 (four failures). */
async function open(b: ReturnType<typeof setup>) {
  await run(b.breaker, 'FFFF');
  assert.equal(b.breaker.state, 'open');
}

describe('circuit breaker: closed', () => {
  it('opens at exactly the failure-rate threshold ("≥")', async () => {
    const { breaker, changes } = setup({ failureRateThreshold: 30, minimumCalls: 10 });
    await run(breaker, 'FFFOOOOOOO'); // 3 of 10 = 30 %
    assert.equal(breaker.state, 'open');
    assert.deepEqual(changes, ['closed>open:failure-rate']);
  });

  it('stays closed one failure below the threshold', async () => {
    const { breaker } = setup({ failureRateThreshold: 30, minimumCalls: 10 });
    await run(breaker, 'FFOOOOOOOO'); // 2 of 10 = 20 %
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.metrics.failureRate, 20);
  });

  it('stays closed until minimumCalls outcomes are in the window', async () => {
    const { breaker } = setup({ minimumCalls: 5 });
    await run(breaker, 'FFFF');
    assert.equal(breaker.state, 'closed');
    await run(breaker, 'F');
    assert.equal(breaker.state, 'open');
  });

  it('counts a call lasting exactly slowCallDurationMs as slow, and opens at the slow-call threshold', async () => {
    const { breaker, clock, changes } = setup({ slowCallDurationMs: 100, slowCallRateThreshold: 50 });
    const lasting = (ms: number) => async () => ((clock.t += ms), 'ok');
    await breaker.execute(lasting(100));
    await breaker.execute(lasting(99));
    await breaker.execute(lasting(0));
    assert.equal(breaker.metrics.slowCalls, 1);
    assert.equal(breaker.state, 'closed');
    await breaker.execute(lasting(150)); // 2 slow of 4 = 50 %, all successes
    assert.equal(breaker.state, 'open');
    assert.deepEqual(changes, ['closed>open:slow-call-rate']);
  });

  it('stays closed one slow call below the slow-call threshold', async () => {
    const { breaker, clock } = setup({ slowCallDurationMs: 100, slowCallRateThreshold: 50 });
    for (const ms of [100, 99, 99, 0]) await breaker.execute(async () => ((clock.t += ms), 'ok'));
    assert.equal(breaker.metrics.slowCallRate, 25);
    assert.equal(breaker.state, 'closed');
  });

  it('judges the last N outcomes in a count window', async () => {
    const { breaker } = setup({ window: { type: 'count', size: 4 }, minimumCalls: 4 });
    await run(breaker, 'FOOOO'); // the failure has slid out
    assert.deepEqual([breaker.metrics.calls, breaker.metrics.failures], [4, 0]);
    await run(breaker, 'FF'); // last four: O O F F = 50 % (3 of 7 overall would not open)
    assert.equal(breaker.state, 'open');
  });

  it('forgets outcomes older than a time window', async () => {
    const { breaker, clock } = setup({ window: { type: 'time', seconds: 10 }, minimumCalls: 3 });
    await run(breaker, 'FF');
    clock.t = 10_000; // the buckets of second 0 have aged out
    assert.equal(breaker.metrics.calls, 0);
    await run(breaker, 'O');
    assert.deepEqual([breaker.state, breaker.metrics.calls], ['closed', 1]);
  });

  it('judges outcomes within a time window together', async () => {
    const { breaker, clock } = setup({ window: { type: 'time', seconds: 10 }, minimumCalls: 3 });
    await run(breaker, 'FF');
    clock.t = 9_999;
    await run(breaker, 'O'); // F F O within 10 s = 67 %
    assert.equal(breaker.state, 'open');
  });

  it('counts callee errors, treats caller errors as successes and records cancellations as nothing', async () => {
    const { breaker } = setup();
    for (const code of ['NOT_FOUND', 'INVALID_ARGUMENT', 'FAILED_PRECONDITION', 'PERMISSION_DENIED'] as const)
      await breaker.execute(fail(code)).catch(() => {});
    await breaker.execute(fail('CANCELLED')).catch(() => {});
    assert.deepEqual([breaker.state, breaker.metrics.calls, breaker.metrics.failures], ['closed', 4, 0]);
    for (const code of ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'INTERNAL', 'RESOURCE_EXHAUSTED'] as const)
      await breaker.execute(fail(code)).catch(() => {});
    assert.equal(breaker.state, 'open'); // 4 of 8 = 50 %
  });

  it('uses a custom isFailure', async () => {
    const { breaker } = setup({ isFailure: (e) => SwitchyardError.is(e, 'NOT_FOUND') });
    await run(breaker, 'FFFF'); // UNAVAILABLE is a success for this breaker
    assert.equal(breaker.state, 'closed');
  });

  it('reads no clock in the closed state when nothing needs time', async () => {
    const { breaker, clock } = setup();
    await run(breaker, 'OFOOO');
    assert.equal(clock.reads, 0);
    assert.equal(breaker.state, 'closed');
  });

  it('rejects options that cannot work', () => {
    const base = { window: { type: 'count', size: 10 }, minimumCalls: 1, openDurationMs: 1 } as const;
    const halfOpen = { permittedCalls: 1, maxWaitMs: 1 };
    assert.throws(() => circuitBreaker({ ...base, halfOpen, failureRateThreshold: 0 }), RangeError);
    assert.throws(() => circuitBreaker({ ...base, halfOpen, failureRateThreshold: 101 }), RangeError);
    assert.throws(
      () =>
        circuitBreaker({ ...base, failureRateThreshold: 50, halfOpen: { permittedCalls: 0, maxWaitMs: 1 } }),
      RangeError,
    );
  });
});

describe('circuit breaker: open', () => {
  it('rejects with CIRCUIT_OPEN and the remaining time, without calling fn', async () => {
    const b = setup();
    b.clock.t = 100;
    await open(b);
    b.clock.t = 500;
    let called = false;
    const e = await rejectsWith(
      b.breaker.execute(async () => ((called = true), 'x')),
      'CIRCUIT_OPEN',
    );
    assert.equal(called, false);
    assert.equal(e.details.remainingMs, 600);
  });

  it('does not let failures of calls started before it opened extend the open period', async () => {
    const b = setup();
    const late = deferred();
    const started = b.breaker.execute(() => late.promise).catch(() => {});
    await open(b);
    b.clock.t = 500;
    late.reject(error());
    await started;
    b.clock.t = 999;
    assert.equal(b.breaker.state, 'open');
    b.clock.t = 1000;
    assert.equal(await b.breaker.execute(ok), 'ok'); // admitted as a probe on time
    assert.deepEqual(b.changes, ['closed>open:failure-rate', 'open>half-open:open-duration-elapsed']);
  });
});

describe('circuit breaker: half-open', () => {
  it('admits exactly permittedCalls probes at once and rejects the next', async () => {
    const b = setup();
    await open(b);
    b.clock.t = 1000;
    const probes = [deferred(), deferred()];
    const running = probes.map((p) => b.breaker.execute(() => p.promise));
    let called = false;
    const e = await rejectsWith(
      b.breaker.execute(async () => ((called = true), 'x')),
      'CIRCUIT_OPEN',
    );
    assert.deepEqual([called, e.details.state], [false, 'half-open']);
    probes.forEach((p) => p.resolve('ok'));
    await Promise.all(running);
  });

  it('closes with an empty window when the probes succeed', async () => {
    const b = setup();
    await open(b);
    b.clock.t = 1000;
    await run(b.breaker, 'OO');
    assert.equal(b.breaker.state, 'closed');
    assert.equal(b.breaker.metrics.calls, 0);
    assert.deepEqual(b.changes.at(-1), 'half-open>closed:probes-healthy');
  });

  it('opens again, for a full period, when the probes fail at the threshold', async () => {
    const b = setup();
    await open(b);
    b.clock.t = 1000;
    await run(b.breaker, 'OF'); // 50 %
    assert.equal(b.breaker.state, 'open');
    assert.equal(b.changes.at(-1), 'half-open>open:failure-rate');
    const e = await rejectsWith(b.breaker.execute(ok), 'CIRCUIT_OPEN');
    assert.equal(e.details.remainingMs, 1000);
  });

  it('gives a cancelled probe’s permit to the next caller', async () => {
    const b = setup({ halfOpen: { permittedCalls: 1, maxWaitMs: 500 } });
    await open(b);
    b.clock.t = 1000;
    await b.breaker.execute(fail('CANCELLED')).catch(() => {});
    assert.equal(b.breaker.state, 'half-open');
    assert.equal(await b.breaker.execute(ok), 'ok');
    assert.equal(b.breaker.state, 'closed');
  });

  it('goes back to open when a probe hangs past maxWaitMs, and ignores its late result', async () => {
    const b = setup({ halfOpen: { permittedCalls: 1, maxWaitMs: 500 } });
    await open(b);
    b.clock.t = 1000;
    const hung = deferred();
    const probe = b.breaker.execute(() => hung.promise);
    b.clock.t = 1499;
    assert.equal(b.breaker.state, 'half-open');
    b.clock.t = 1500;
    assert.equal(b.breaker.state, 'open');
    b.clock.t = 1600;
    hung.resolve('late');
    assert.equal(await probe, 'late'); // the caller still gets its result…
    assert.equal(b.breaker.state, 'open'); // …but the breaker does not close on it
    const e = await rejectsWith(b.breaker.execute(ok), 'CIRCUIT_OPEN');
    assert.equal(e.details.remainingMs, 900); // open since 1500, not since the late result
    assert.equal(b.changes.at(-1), 'half-open>open:probe-timeout');
  });

  it('dates a probe timeout when it fell due, even if nobody looked until later', async () => {
    const b = setup({ halfOpen: { permittedCalls: 1, maxWaitMs: 500 } });
    await open(b);
    b.clock.t = 1000;
    void b.breaker.execute(() => new Promise<string>(() => {}));
    b.clock.t = 2500; // probe timed out at 1500, so the new open period ended at 2500
    assert.equal(await b.breaker.execute(ok), 'ok');
    assert.deepEqual(b.changes.slice(1), [
      'open>half-open:open-duration-elapsed',
      'half-open>open:probe-timeout',
      'open>half-open:open-duration-elapsed',
      'half-open>closed:probes-healthy',
    ]);
  });
});
