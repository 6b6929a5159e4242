import type { AnyContract, OperationDef } from '../contract/index.js';
import type { Context } from './context.js';

/** One invocation of one operation, as every interceptor and transport sees it. */
export interface Call {
  readonly contract: AnyContract;
  readonly operation: string;
  readonly def: OperationDef;
  input: unknown;
  readonly ctx: Context;
}

export type Next = (call: Call) => Promise<unknown>;

/** Middleware: wraps the next step of a call. The onion is built once, in `compose`. */
export type Interceptor = (next: Next) => Next;

/** The first interceptor is the outermost. */
export function compose(interceptors: readonly Interceptor[], last: Next): Next {
  let next = last;
  for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
  return next;
}
