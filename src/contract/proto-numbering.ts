import type { TObject, TSchema } from '@sinclair/typebox';
import { ContractDefinitionError } from './definition-error.js';
import { nullableInner, protoFieldOf, type ProtoFieldShape, type ProtoValueType } from './proto-compat.js';
import type { AnyContract } from './types.js';

/**
 * Protobuf field numbers of a contract. They are part of the wire format, so once a version is
 * released they are remembered in its snapshot and every later version starts from them.
 */
export interface ProtoMessageNumbers {
  fields: Record<string, number>;
  /** Numbers that once meant a field; never handed out again. */
  reserved: number[];
}

export interface ProtoNumbering {
  messages: Record<string, ProtoMessageNumbers>;
}

/** Where a top-level message comes from; the suffix of its name. */
export type ProtoRole = 'Request' | 'Response' | 'Command' | 'Reply' | 'Event';

export interface ProtoFieldDef {
  readonly name: string;
  readonly schema: TSchema;
  readonly shape: ProtoFieldShape;
  /** Whether the object schema lists the property as required (JSON presence, not protobuf presence). */
  readonly required: boolean;
  /** `T | null`: a required property that may be null. */
  readonly nullable: boolean;
  /** Name of the message carried by the field (directly, as list items or as map values), if any. */
  readonly message?: string;
}

export interface ProtoMessageDef {
  readonly name: string;
  readonly schema: TObject;
  readonly fields: readonly ProtoFieldDef[];
}

export function pascalCase(name: string): string {
  return name
    .split(/[-_]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

export function protoMessageName(name: string, role: ProtoRole): string {
  return `${pascalCase(name)}${role}`;
}

/** Every top-level message of a contract in declaration order: operations, then commands, then events. */
export function protoRoots(contract: AnyContract): { name: string; schema: TObject }[] {
  const roots: { name: string; schema: TObject }[] = [];
  for (const [name, op] of Object.entries(contract.operations)) {
    roots.push({ name: protoMessageName(name, 'Request'), schema: op.input });
    roots.push({ name: protoMessageName(name, 'Response'), schema: op.output });
  }
  for (const [name, cmd] of Object.entries(contract.commands)) {
    roots.push({ name: protoMessageName(name, 'Command'), schema: cmd.payload });
    if (cmd.reply) roots.push({ name: protoMessageName(name, 'Reply'), schema: cmd.reply });
  }
  for (const [name, evt] of Object.entries(contract.events))
    roots.push({ name: protoMessageName(name, 'Event'), schema: evt.payload });
  return roots;
}

const messagesCache = new WeakMap<AnyContract, readonly ProtoMessageDef[]>();

/**
 * Every message of a contract, each top-level one followed by the messages nested in it. A nested
 * object is named after where it sits (`<Parent><Field>`), not after the schema constant it was
 * written with: the same schema used in two places becomes two messages that can evolve apart.
 */
export function protoMessages(contract: AnyContract): readonly ProtoMessageDef[] {
  const cached = messagesCache.get(contract);
  if (cached) return cached;
  const where = `contract ${JSON.stringify(contract.name)}`;
  const out: ProtoMessageDef[] = [];
  const names = new Set<string>();
  const visit = (name: string, schema: TObject) => {
    // Names built from `<Parent><Field>` can meet (`GetRequest`+`event` vs event `getRequest`).
    if (names.has(name))
      throw new ContractDefinitionError(where, `two schemas map onto the protobuf message ${name}`);
    names.add(name);
    const fields = Object.entries(schema.properties).map(([field, property]) =>
      fieldDef(name, field, property, schema.required?.includes(field) ?? false),
    );
    checkJsonNames(where, name, fields);
    out.push({ name, schema, fields });
    for (const field of fields) {
      const nested = messageSchema(field.shape.type);
      if (nested && field.message) visit(field.message, nested);
    }
  };
  for (const root of protoRoots(contract)) visit(root.name, root.schema);
  messagesCache.set(contract, out);
  return out;
}

function fieldDef(parent: string, name: string, schema: TSchema, required: boolean): ProtoFieldDef {
  const shape = protoFieldOf(schema);
  const nested = messageSchema(shape.type) ? { message: `${parent}${pascalCase(name)}` } : {};
  const nullable = required && nullableInner(schema) !== undefined;
  return { name, schema, shape, required, nullable, ...nested };
}

function messageSchema(type: ProtoValueType): TObject | undefined {
  if (type.kind === 'message') return type.schema;
  if (type.kind === 'map') return messageSchema(type.value);
  return undefined;
}

/**
 * protoc rejects proto3 fields whose names differ only in case or underscores (`foo_bar`, `fooBar`,
 * `foobar`): their JSON names would meet.
 */
function checkJsonNames(where: string, message: string, fields: readonly ProtoFieldDef[]) {
  const seen = new Map<string, string>();
  for (const { name } of fields) {
    const key = name.replaceAll('_', '').toLowerCase();
    const other = seen.get(key);
    if (other !== undefined)
      throw new ContractDefinitionError(
        where,
        `fields ${other} and ${name} of ${message} would have the same protobuf JSON name`,
      );
    seen.set(key, name);
  }
}

/** Field numbers 19000–19999 are reserved by protobuf itself. */
const protobufReserved = { from: 19000, to: 19999 };

function nextNumber(after: number): number {
  const next = after + 1;
  return next >= protobufReserved.from && next <= protobufReserved.to ? protobufReserved.to + 1 : next;
}

/**
 * Numbers every field of every message. Without `previous`, fields are numbered 1..n in declared
 * order. With it (the numbering of the last release): a field keeps its number; a removed field's
 * number is reserved forever; a new field takes the next number above everything ever used or
 * reserved in that message. A message that disappears stays in the numbering with all its numbers
 * reserved, so a message of the same name added back later cannot reuse them.
 */
export function assignFieldNumbers(contract: AnyContract, previous?: ProtoNumbering): ProtoNumbering {
  const messages: Record<string, ProtoMessageNumbers> = {};
  for (const message of protoMessages(contract))
    messages[message.name] = numberMessage(
      message.fields.map((f) => f.name),
      previous?.messages[message.name],
    );
  for (const [name, old] of Object.entries(previous?.messages ?? {})) {
    if (messages[name]) continue;
    const reserved = sortedUnique([...old.reserved, ...Object.values(old.fields)]);
    // A vanished message with no numbers has nothing to protect.
    if (reserved.length > 0) messages[name] = { fields: {}, reserved };
  }
  // Sorted so that reordering a contract's source does not churn its snapshots.
  return {
    messages: Object.fromEntries(
      Object.keys(messages)
        .sort()
        .map((name) => [name, messages[name]!]),
    ),
  };
}

function numberMessage(
  fieldNames: readonly string[],
  old: ProtoMessageNumbers | undefined,
): ProtoMessageNumbers {
  const numbers = new Map<string, number>();
  const oldFields = old?.fields ?? {};
  const current = new Set(fieldNames);
  const reserved = [...(old?.reserved ?? [])];
  for (const [name, number] of Object.entries(oldFields)) {
    if (current.has(name)) numbers.set(name, number);
    else reserved.push(number);
  }
  let highest = Math.max(0, ...reserved, ...numbers.values());
  for (const name of fieldNames) {
    if (numbers.has(name)) continue;
    highest = nextNumber(highest);
    numbers.set(name, highest);
  }
  const fields = Object.fromEntries([...numbers].sort((a, b) => a[1] - b[1]));
  return { fields, reserved: sortedUnique(reserved) };
}

function sortedUnique(numbers: readonly number[]): number[] {
  return [...new Set(numbers)].sort((a, b) => a - b);
}
