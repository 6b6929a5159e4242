import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { childTrace, traceIdOf } from '../envelope/index.js';
import { LazyAbort, onSignalAbort } from './abort.js';
import { Context } from './context.js';

/** Counts the AbortControllers made while a test runs: the laziness is the point of LazyAbort. */
let made = 0;
const Original = globalThis.AbortController;
beforeEach(() => {
  made = 0;
  globalThis.AbortController = class extends Original {
    constructor() {
      super();
      made++;
    }
  };
});
afterEach(() => {
  globalThis.AbortController = Original;
});

describe('LazyAbort', () => {
  it('calls its listeners once, with the reason, and builds no signal for them', () => {
    const abort = new LazyAbort();
    const heard: unknown[] = [];
    abort.onAbort((reason) => heard.push(reason));
    const stop = abort.onAbort(() => heard.push('removed'));
    stop();
    abort.abort('first');
    abort.abort('second');
    assert.deepEqual(heard, ['first']);
    assert.equal(abort.aborted, true);
    assert.equal(abort.reason, 'first');
    assert.equal(made, 0);
  });

  it('hears a listener added after the abort at once', () => {
    const abort = new LazyAbort();
    abort.abort('gone');
    let heard: unknown;
    abort.onAbort((reason) => (heard = reason));
    assert.equal(heard, 'gone');
  });

  it('builds its signal on first read, aborted already if it has', () => {
    const before = new LazyAbort();
    const signal = before.signal;
    assert.equal(made, 1);
    assert.equal(before.signal, signal, 'one signal');
    before.abort('late');
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, 'late');

    const after = new LazyAbort();
    after.abort('early');
    assert.equal(after.signal.aborted, true);
    assert.equal(after.signal.reason, 'early');
  });

  it('onSignalAbort listens to a plain signal with the same contract', () => {
    const controller = new Original();
    const heard: unknown[] = [];
    const stop = onSignalAbort(controller.signal, (reason) => heard.push(reason));
    controller.abort('why');
    stop();
    onSignalAbort(controller.signal, (reason) => heard.push(`late ${String(reason)}`));
    assert.deepEqual(heard, ['why', 'late why']);
  });
});

describe('Context over a lazy abort', () => {
  it('is cancellable and aborts through onAbort without building a signal', () => {
    const abort = new LazyAbort();
    const ctx = new Context({ abortable: abort, deadline: Date.now() + 60_000 });
    assert.equal(ctx.cancellable, true);
    const heard: unknown[] = [];
    ctx.onAbort((reason) => heard.push(reason));
    assert.equal(ctx.signalAborted(), false);
    abort.abort('timeout');
    assert.deepEqual(heard, ['timeout']);
    assert.equal(ctx.signalAborted(), true);
    assert.equal(made, 0);
    assert.equal(ctx.signal.reason, 'timeout', 'its signal, when asked for, is the abort’s');
  });

  it('gives an attempt its call’s id, causation, correlation and trace, made only when read', () => {
    const parent = new Context({ correlationId: 'corr' });
    const call = new Context({ parent });
    const attempt = new Context({ attemptOf: call, abortable: new LazyAbort(), attempt: 2 });
    assert.equal(attempt.id, call.id);
    assert.equal(attempt.causationId, parent.id);
    assert.equal(attempt.correlationId, 'corr');
    assert.equal(attempt.trace, call.trace);
    assert.equal(attempt.attempt, 2);
  });

  it('makes a server span in the caller’s trace on first use', () => {
    const caller = childTrace();
    const ctx = new Context({ parentTrace: { ...caller, tracestate: 'v=1' } });
    assert.equal(traceIdOf(ctx.trace.traceparent), traceIdOf(caller.traceparent));
    assert.notEqual(ctx.trace.traceparent, caller.traceparent);
    assert.equal(ctx.trace.tracestate, 'v=1');
    assert.equal(ctx.trace, ctx.trace, 'made once');
  });
});
