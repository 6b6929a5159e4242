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
      const run = (i: number, ctx: ExecuteContext): Promise<unknown> =>
        i === policies.length ? fn(ctx) : policies[i]!.execute((inner) => run(i + 1, inner), ctx);
      return run(0, toContext(options)) as Promise<T | AltOf<P[number]>>;
    },
  };
}
