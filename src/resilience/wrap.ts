import type { ExecuteContext, ExecuteOptions, Policy } from './policy.js';
import { toContext } from './policy.js';

/** The union of what the wrapped policies may return instead of the call's result. */
export type AltOf<P> = P extends Policy<infer A> ? A : never;

/**
 * Composes policies into one; the first is the outermost. Each passes the context it runs under
 * (signal, attempt, deadline) to the next, so one cancellation reaches every layer and `fn`.
 */
export function wrap<const P extends readonly Policy<any>[]>(...policies: P): Policy<AltOf<P[number]>> {
  return {
    execute<T>(
      fn: (ctx: ExecuteContext) => Promise<T>,
      options?: ExecuteOptions,
    ): Promise<T | AltOf<P[number]>> {
      return runFrom(policies, 0, fn, toContext(options)) as Promise<T | AltOf<P[number]>>;
    },
  };
}

/** Runs `fn` under `policies[i…]`; a module function, so a call builds no closure per layer but the callback. */
function runFrom(
  policies: readonly Policy<unknown>[],
  i: number,
  fn: (ctx: ExecuteContext) => Promise<unknown>,
  ctx: ExecuteContext,
): Promise<unknown> {
  return i === policies.length
    ? fn(ctx)
    : policies[i]!.execute((inner) => runFrom(policies, i + 1, fn, inner), ctx);
}
