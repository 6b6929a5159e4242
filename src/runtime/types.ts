import type { AnyContract, InputOf, OutputOf } from '../contract/index.js';
import type { Context } from './context.js';

export type Handler<In, Out> = (input: In, ctx: Context) => Out | Promise<Out>;

/** What a service must provide: one handler per operation, typed from the contract. */
export type Implementation<C extends AnyContract> = {
  [K in keyof C['operations']]: Handler<InputOf<C['operations'][K]>, OutputOf<C['operations'][K]>>;
};

export interface CallOptions {
  /** Relative timeout for this call; combined with any inherited deadline (the earlier wins). */
  timeoutMs?: number;
  /** Absolute deadline in epoch milliseconds. */
  deadline?: number;
  signal?: AbortSignal;
  /** The context this call is made from; its deadline, correlation id and trace are inherited. */
  parent?: Context;
  metadata?: Readonly<Record<string, string>>;
}

/** A typed client: one async method per operation of the contract. */
export type Client<C extends AnyContract> = {
  [K in keyof C['operations']]: (
    input: InputOf<C['operations'][K]>,
    options?: CallOptions,
  ) => Promise<OutputOf<C['operations'][K]>>;
};
