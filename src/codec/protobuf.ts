import protobuf from 'protobufjs';
import { exportProto, type ExportProtoOptions } from '../contract/export/proto.js';
import {
  protoMessageName,
  protoMessages,
  type ProtoFieldDef,
  type ProtoMessageDef,
} from '../contract/proto-numbering.js';
import type { AnyContract } from '../contract/types.js';
import { malformed, unencodable, type Codec } from './codec.js';

/**
 * Protobuf codecs of a contract, one per message, built from the very text `exportProto` writes.
 *
 * What comes out of `decode` is what went into `encode`, except where proto3 cannot tell two values
 * apart; then the rule is:
 * - an absent required scalar reads as its zero value (`''`, `0`, `false`, empty bytes), as proto3 says;
 * - a list or map on a required property reads as `[]` / `{}` when empty, so `null` on a required
 *   `T[] | null` or `Record | null` reads back as the empty list or map (protobuf has no null list);
 * - a list or map on an optional property reads as absent when empty (`[]` and absent are one value);
 * - `null` on an optional property (`Optional(T | null)`) reads as absent;
 * - `null` on a required `T | null` reads as `null` (the field has presence on the wire);
 * - bytes read as plain `Uint8Array` views of the input, integers (int64) as numbers.
 */
export interface ProtobufCodec extends Codec {
  /** Protobuf message name, without the package. */
  readonly message: string;
}

export interface ProtobufCodecs {
  /** The `.proto` text the codecs were built from. */
  readonly proto: string;
  readonly messages: ReadonlyMap<string, ProtobufCodec>;
  message(name: string): ProtobufCodec;
  operation(name: string): { readonly input: ProtobufCodec; readonly output: ProtobufCodec };
  /** `reply` is undefined for one-way commands. */
  command(name: string): { readonly payload: ProtobufCodec; readonly reply: ProtobufCodec | undefined };
  event(name: string): ProtobufCodec;
}

export const protobufContentType = 'application/protobuf';

const cache = new WeakMap<AnyContract, ProtobufCodecs>();

/**
 * Builds (once per contract, unless `previous` is given) the codecs of every message. Field numbers
 * come from the contract's released snapshots, as in `exportProto`.
 */
export function protobufCodecs(contract: AnyContract, options: ExportProtoOptions = {}): ProtobufCodecs {
  const cached = options.previous ? undefined : cache.get(contract);
  if (cached) return cached;
  const built = build(contract, options);
  if (!options.previous) cache.set(contract, built);
  return built;
}

function build(contract: AnyContract, options: ExportProtoOptions): ProtobufCodecs {
  const proto = exportProto(contract, options);
  const root = protobuf.parse(proto, { keepCase: true }).root.resolveAll();
  const defs = protoMessages(contract);
  const plans = buildPlans(defs);
  const messages = new Map<string, ProtobufCodec>();
  for (const def of defs) {
    const type = root.lookupType(`${contract.protoPackage}.${def.name}`);
    messages.set(def.name, messageCodec(def.name, type, plans.get(def.name)!));
  }
  const message = (name: string): ProtobufCodec => {
    const codec = messages.get(name);
    if (!codec) throw new RangeError(`contract ${contract.name} has no protobuf message ${name}`);
    return codec;
  };
  const known = (kind: string, table: Record<string, unknown>, name: string) => {
    if (!Object.hasOwn(table, name)) throw new RangeError(`contract ${contract.name} has no ${kind} ${name}`);
  };
  return {
    proto,
    messages,
    message,
    operation(name) {
      known('operation', contract.operations, name);
      return {
        input: message(protoMessageName(name, 'Request')),
        output: message(protoMessageName(name, 'Response')),
      };
    },
    command(name) {
      known('command', contract.commands, name);
      const reply = contract.commands[name]?.reply ? message(protoMessageName(name, 'Reply')) : undefined;
      return { payload: message(protoMessageName(name, 'Command')), reply };
    },
    event(name) {
      known('event', contract.events, name);
      return message(protoMessageName(name, 'Event'));
    },
  };
}

function messageCodec(name: string, type: protobuf.Type, plan: Plan): ProtobufCodec {
  // Defaults stay off: presence is decided by the schema-driven plan, not by protobufjs.
  const conversion: protobuf.IConversionOptions = { longs: Number };
  return {
    contentType: protobufContentType,
    message: name,
    encode(value) {
      try {
        return type.encode(value as Record<string, unknown>).finish();
      } catch (error) {
        throw unencodable(`protobuf ${name}`, error);
      }
    },
    decode(bytes) {
      let decoded: protobuf.Message;
      try {
        decoded = type.decode(bytes);
      } catch (error) {
        throw malformed(`protobuf ${name}`, error);
      }
      return normalize(type.toObject(decoded, conversion), plan);
    },
  };
}

/** How to turn protobufjs's view of one message into the value the schema describes. */
interface Plan {
  fields: FieldPlan[];
}

interface FieldPlan {
  name: string;
  layout: 'single' | 'list' | 'map';
  /** The value of the property when the wire has no field; undefined leaves the property absent. */
  absent?: () => unknown;
  nested?: Plan;
  bytes: boolean;
}

function buildPlans(defs: readonly ProtoMessageDef[]): Map<string, Plan> {
  // Two passes: a message's plan refers to the plans of messages nested in it, listed after it.
  const plans = new Map(defs.map((def) => [def.name, { fields: [] } as Plan]));
  for (const def of defs) plans.get(def.name)!.fields = def.fields.map((field) => fieldPlan(field, plans));
  return plans;
}

function fieldPlan(field: ProtoFieldDef, plans: Map<string, Plan>): FieldPlan {
  const { shape } = field;
  const layout = shape.repeated ? 'list' : shape.type.kind === 'map' ? 'map' : 'single';
  const nested = field.message === undefined ? undefined : plans.get(field.message);
  const valueType = shape.type.kind === 'map' ? shape.type.value : shape.type;
  const plan: FieldPlan = {
    name: field.name,
    layout,
    bytes: valueType.kind === 'scalar' && valueType.scalar === 'bytes',
  };
  if (nested) plan.nested = nested;
  if (!field.required) return plan;
  if (layout === 'list') plan.absent = () => [];
  else if (layout === 'map') plan.absent = () => ({});
  else if (field.nullable) plan.absent = () => null;
  else if (nested) plan.absent = () => normalize({}, nested);
  else if (valueType.kind === 'scalar') plan.absent = zeroOf[valueType.scalar];
  return plan;
}

const zeroOf = {
  string: () => '',
  bool: () => false,
  double: () => 0,
  int64: () => 0,
  bytes: () => new Uint8Array(0),
};

function normalize(object: Record<string, unknown>, plan: Plan): Record<string, unknown> {
  for (const field of plan.fields) {
    // Own properties only: a field may be called `constructor` or `toString`.
    const value = Object.hasOwn(object, field.name) ? object[field.name] : undefined;
    if (value === undefined || value === null) {
      if (field.absent) object[field.name] = field.absent();
      else delete object[field.name];
      continue;
    }
    if (!field.nested && !field.bytes) continue;
    const nested = field.nested;
    // A map entry without a value (other encoders may skip it) holds the empty message.
    const fix: (v: unknown) => unknown = nested
      ? (v) => normalize((v ?? {}) as Record<string, unknown>, nested)
      : plainBytes;
    if (field.layout === 'single') object[field.name] = fix(value);
    else if (field.layout === 'list') object[field.name] = (value as unknown[]).map(fix);
    else
      for (const [key, v] of Object.entries(value as Record<string, unknown>))
        (value as Record<string, unknown>)[key] = fix(v);
  }
  return object;
}

/** protobufjs hands out Node Buffers when it reads from one; the schema (and deepEqual) says Uint8Array. */
function plainBytes(value: unknown): Uint8Array {
  const bytes = value as Uint8Array;
  return bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
