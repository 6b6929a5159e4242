import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchyardError } from '../../errors/index.js';
import type { Context, Implementation } from '../../runtime/index.js';
import { ConformanceContract } from './contract.js';

/** What the server side saw, for the suite's assertions. */
export interface Recorder {
  /** Handler invocations so far. */
  calls: number;
  /** Resolves when the next `sleep` handler starts. */
  sleeping(): Promise<void>;
  /** Resolves with the abort reason when the next aborted `sleep` handler hears its signal. */
  aborted(): Promise<unknown>;
}

export function conformanceService(): {
  implementation: Implementation<typeof ConformanceContract>;
  recorder: Recorder;
} {
  const onSleep: (() => void)[] = [];
  const onAbort: ((reason: unknown) => void)[] = [];
  const recorder: Recorder = {
    calls: 0,
    sleeping: () => new Promise((resolve) => onSleep.push(resolve)),
    aborted: () => new Promise((resolve) => onAbort.push(resolve)),
  };
  const count = () => void recorder.calls++;

  const implementation: Implementation<typeof ConformanceContract> = {
    async echo(input) {
      count();
      if (input.delayMs) await sleep(input.delayMs);
      return input;
    },
    getItem(input) {
      count();
      return input;
    },
    putItem(input) {
      count();
      return input;
    },
    removeItem({ id, reason }) {
      count();
      return reason === undefined ? { removed: id } : { removed: id, reason };
    },
    fail({ orderId }) {
      count();
      throw new SwitchyardError('FAILED_PRECONDITION', 'card declined', {
        details: { violations: [{ path: '/card', rule: 'valid', message: 'declined' }], orderId },
        retryable: true,
      });
    },
    crash() {
      count();
      throw new Error('secret=hunter2');
    },
    badOutput() {
      count();
      return { total: 'many' } as unknown as { total: number };
    },
    validated() {
      count();
      return { ok: true };
    },
    inspect(_input, ctx) {
      count();
      return seen(ctx);
    },
    async sleep({ ms }, ctx) {
      count();
      const started = Date.now();
      for (const resolve of onSleep.splice(0)) resolve();
      try {
        await sleep(ms, undefined, { signal: ctx.signal });
      } catch {
        const reason: unknown = ctx.signal.reason;
        for (const resolve of onAbort.splice(0)) resolve(reason);
        throw new SwitchyardError('CANCELLED', 'The sleep was cut short', { cause: reason });
      }
      return { slept: Date.now() - started };
    },
  };
  return { implementation, recorder };
}

function seen(ctx: Context) {
  const remaining = ctx.remainingMs();
  return {
    id: ctx.id,
    correlationId: ctx.correlationId,
    ...(ctx.causationId === undefined ? {} : { causationId: ctx.causationId }),
    traceparent: ctx.trace.traceparent,
    ...(remaining === Infinity ? {} : { remainingMs: remaining }),
    attempt: ctx.attempt,
    metadata: { ...ctx.metadata },
  };
}
