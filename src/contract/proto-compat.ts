import { Kind, OptionalKind, type TObject, type TSchema } from '@sinclair/typebox';
import { ContractDefinitionError } from './definition-error.js';

/**
 * How a JSON Schema maps onto protobuf. One mapping serves the definition-time check, the `.proto`
 * export and the protobuf codec, so what a contract accepts is exactly what gRPC can carry.
 */
export type ProtoScalar = 'string' | 'bool' | 'double' | 'int64' | 'bytes';

export type ProtoValueType =
  | { readonly kind: 'scalar'; readonly scalar: ProtoScalar }
  | { readonly kind: 'message'; readonly schema: TObject }
  | { readonly kind: 'map'; readonly value: ProtoValueType };

export interface ProtoFieldShape {
  readonly type: ProtoValueType;
  readonly repeated: boolean;
  /** proto3 `optional` (explicit presence); only for singular fields. */
  readonly optional: boolean;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class ProtoUnsupported extends Error {}

export function isOptional(schema: TSchema): boolean {
  return schema[OptionalKind] === 'Optional';
}

/** The shape of a property of an object schema, or ProtoUnsupported saying why there is none. */
export function protoFieldOf(schema: TSchema, optional = isOptional(schema)): ProtoFieldShape {
  const nullable = nullableInner(schema);
  if (nullable) {
    const inner = protoFieldOf(nullable, true);
    // protobuf has no presence for repeated or map fields, so `T[] | null` and `Record | null` stay plain.
    return { ...inner, optional: !inner.repeated && inner.type.kind !== 'map' };
  }
  if (isArray(schema)) {
    const items = schema.items as TSchema;
    if (isArray(items) || nullableInner(items))
      throw new ProtoUnsupported('arrays of arrays or of nullable values');
    return { type: valueType(items), repeated: true, optional: false };
  }
  const type = valueType(schema);
  return { type, repeated: false, optional: optional && type.kind !== 'map' };
}

function valueType(schema: TSchema): ProtoValueType {
  switch (schema[Kind]) {
    case 'String':
      return { kind: 'scalar', scalar: 'string' };
    case 'Number':
      return { kind: 'scalar', scalar: 'double' };
    case 'Integer':
      return { kind: 'scalar', scalar: 'int64' };
    case 'Boolean':
      return { kind: 'scalar', scalar: 'bool' };
    case 'Uint8Array':
      return { kind: 'scalar', scalar: 'bytes' };
    case 'Literal':
      return { kind: 'scalar', scalar: literalScalar(schema.const) };
    case 'Union': {
      const scalars = new Set(
        (schema.anyOf as TSchema[]).map((s) => (s[Kind] === 'Literal' ? literalScalar(s.const) : '')),
      );
      const only = [...scalars][0];
      if (scalars.size === 1 && only) return { kind: 'scalar', scalar: only };
      throw new ProtoUnsupported('unions other than enums of one primitive type or T | null');
    }
    case 'Object':
      return { kind: 'message', schema: schema as TObject };
    case 'Record': {
      const patterns = Object.keys(schema.patternProperties ?? {});
      const valueSchema = schema.patternProperties?.[patterns[0] ?? ''] as TSchema | undefined;
      if (patterns.length !== 1 || !valueSchema || patterns[0] === '^(0|[1-9][0-9]*)$')
        throw new ProtoUnsupported('records other than Record<string, T>');
      const value = valueType(valueSchema);
      if (value.kind === 'map' || isArray(valueSchema))
        throw new ProtoUnsupported('maps of maps or of lists');
      return { kind: 'map', value };
    }
    default:
      throw new ProtoUnsupported(`schema kind ${String(schema[Kind])}`);
  }
}

function literalScalar(value: unknown): ProtoScalar {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'double';
  throw new ProtoUnsupported('literal of that type');
}

function isArray(schema: TSchema): boolean {
  return schema[Kind] === 'Array';
}

/** For `T | null`, T; otherwise undefined. */
export function nullableInner(schema: TSchema): TSchema | undefined {
  if (schema[Kind] !== 'Union') return undefined;
  const members = schema.anyOf as TSchema[];
  if (members.length !== 2) return undefined;
  const rest = members.filter((s) => s[Kind] !== 'Null');
  return rest.length === 1 ? rest[0] : undefined;
}

/** Throws a ContractDefinitionError naming the first property protobuf cannot carry. */
export function checkProtoCompatible(
  at: string,
  role: string,
  schema: TObject,
  seen = new Set<TSchema>(),
): void {
  if (seen.has(schema)) throw new ContractDefinitionError(at, `${role} is recursive, which is not supported`);
  seen.add(schema);
  for (const [name, property] of Object.entries(schema.properties)) {
    const path = `${role}.${name}`;
    if (!identifier.test(name))
      throw new ContractDefinitionError(
        at,
        `${path}: property names must be identifiers to map onto protobuf`,
      );
    // Validators see inherited members (toString, constructor, …) as present on every object.
    if (name in Object.prototype)
      throw new ContractDefinitionError(at, `${path}: the name ${name} is reserved by JavaScript objects`);
    let shape: ProtoFieldShape;
    try {
      shape = protoFieldOf(property);
    } catch (error) {
      if (error instanceof ProtoUnsupported)
        throw new ContractDefinitionError(at, `${path}: protobuf cannot carry ${error.message}`);
      throw error;
    }
    for (let type = shape.type; ; type = type.value) {
      if (type.kind === 'message') checkProtoCompatible(at, path, type.schema, new Set(seen));
      if (type.kind !== 'map') break;
    }
  }
}
