import type { Static, TObject, TSchema } from '@sinclair/typebox';
import type { Code } from '../errors/index.js';

/** When something was deprecated and when it stops being served (ISO dates, `YYYY-MM-DD` or full timestamps). */
export interface Deprecation {
  readonly since: string;
  readonly sunset?: string;
  /** Where clients read about the replacement (sent as `Link: <…>; rel="deprecation"`). */
  readonly link?: string;
  readonly message?: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `path` uses `:name` segments, each a property of the input schema. */
export interface HttpMapping {
  readonly method: HttpMethod;
  readonly path: string;
}

export interface OperationDef<I extends TObject = TObject, O extends TObject = TObject> {
  readonly kind: 'operation';
  readonly input: I;
  readonly output: O;
  readonly http: HttpMapping;
  /** Safe to retry: calling twice has the effect of calling once. Only idempotent operations are retried. */
  readonly idempotent: boolean;
  readonly errors: readonly Code[];
  readonly description?: string;
  readonly deprecated?: Deprecation;
}

export interface CommandDef<
  P extends TObject = TObject,
  R extends TObject | undefined = TObject | undefined,
> {
  readonly kind: 'command';
  readonly payload: P;
  /** Schema of the reply for request/async-reply commands; absent for one-way commands. */
  readonly reply: R;
  /** Field of the payload whose value orders related commands (same key, same partition). */
  readonly partitionKey?: string;
  readonly channel?: string;
  readonly description?: string;
  readonly deprecated?: Deprecation;
}

export interface EventDef<P extends TObject = TObject> {
  readonly kind: 'event';
  readonly payload: P;
  readonly partitionKey?: string;
  readonly channel?: string;
  readonly description?: string;
  readonly deprecated?: Deprecation;
}

export type Operations = Record<string, OperationDef<any, any>>;
export type Commands = Record<string, CommandDef<any, any>>;
export type Events = Record<string, EventDef<any>>;

export interface Contract<
  Ops extends Operations = Operations,
  Cmds extends Commands = Commands,
  Evts extends Events = Events,
> {
  readonly kind: 'contract';
  readonly name: string;
  readonly version: string;
  readonly major: number;
  readonly description?: string;
  readonly deprecated?: Deprecation;
  readonly operations: Ops;
  readonly commands: Cmds;
  readonly events: Evts;
  /** Folder of released snapshots (`switchyard contract release` writes there); the source of protobuf field numbers. */
  readonly snapshots?: URL;
  /** Protobuf package; `switchyard.<name>.v<major>` by default. */
  readonly protoPackage: string;
}

export type AnyContract = Contract<Operations, Commands, Events>;

export type InputOf<D extends OperationDef<any, any>> = Static<D['input']>;
export type OutputOf<D extends OperationDef<any, any>> = Static<D['output']>;
export type PayloadOf<D extends CommandDef<any, any> | EventDef<any>> = Static<D['payload']>;
export type ReplyOf<D extends CommandDef<any, any>> = D['reply'] extends TSchema ? Static<D['reply']> : void;
