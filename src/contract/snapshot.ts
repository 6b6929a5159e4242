import type { TSchema } from '@sinclair/typebox';
import { commandChannel, eventChannel } from './channels.js';
import { assignFieldNumbers, type ProtoNumbering } from './proto-numbering.js';
import type { AnyContract, Deprecation, HttpMapping } from './types.js';

/** A JSON Schema as plain JSON (TypeBox's symbol keys dropped). */
export type JsonSchema = Record<string, unknown>;

export interface OperationSnapshot {
  input: JsonSchema;
  output: JsonSchema;
  http: HttpMapping;
  idempotent: boolean;
  errors: string[];
  description?: string;
  deprecated?: Deprecation;
}

export interface CommandSnapshot {
  payload: JsonSchema;
  reply?: JsonSchema;
  partitionKey?: string;
  channel: string;
  description?: string;
  deprecated?: Deprecation;
}

export interface EventSnapshot {
  payload: JsonSchema;
  partitionKey?: string;
  channel: string;
  description?: string;
  deprecated?: Deprecation;
}

/**
 * A contract as data: what `release` writes, what `diff` and `check` compare, and where protobuf
 * field numbers are remembered between versions.
 */
export interface ContractSnapshot {
  snapshot: 1;
  name: string;
  version: string;
  description?: string;
  deprecated?: Deprecation;
  protoPackage: string;
  operations: Record<string, OperationSnapshot>;
  commands: Record<string, CommandSnapshot>;
  events: Record<string, EventSnapshot>;
  protobuf: ProtoNumbering;
}

export function toJsonSchema(schema: TSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}

/** `previous` is the released snapshot whose protobuf field numbers this version must keep. */
export function toSnapshot(contract: AnyContract, previous?: ContractSnapshot): ContractSnapshot {
  const withOptional = <T extends object>(
    base: T,
    extra: { description?: string; deprecated?: Deprecation },
  ) => ({
    ...base,
    ...(extra.description === undefined ? {} : { description: extra.description }),
    ...(extra.deprecated === undefined ? {} : { deprecated: extra.deprecated }),
  });
  const operations: Record<string, OperationSnapshot> = {};
  for (const [name, op] of Object.entries(contract.operations))
    operations[name] = withOptional(
      {
        input: toJsonSchema(op.input),
        output: toJsonSchema(op.output),
        http: { method: op.http.method, path: op.http.path },
        idempotent: op.idempotent,
        errors: [...op.errors],
      },
      op,
    );
  const commands: Record<string, CommandSnapshot> = {};
  for (const [name, cmd] of Object.entries(contract.commands))
    commands[name] = withOptional(
      {
        payload: toJsonSchema(cmd.payload),
        ...(cmd.reply ? { reply: toJsonSchema(cmd.reply) } : {}),
        ...(cmd.partitionKey ? { partitionKey: cmd.partitionKey } : {}),
        channel: commandChannel(contract, name),
      },
      cmd,
    );
  const events: Record<string, EventSnapshot> = {};
  for (const [name, evt] of Object.entries(contract.events))
    events[name] = withOptional(
      {
        payload: toJsonSchema(evt.payload),
        ...(evt.partitionKey ? { partitionKey: evt.partitionKey } : {}),
        channel: eventChannel(contract, name),
      },
      evt,
    );
  return withOptional(
    {
      snapshot: 1 as const,
      name: contract.name,
      version: contract.version,
      protoPackage: contract.protoPackage,
      operations,
      commands,
      events,
      protobuf: assignFieldNumbers(contract, previous?.protobuf),
    },
    contract,
  );
}
