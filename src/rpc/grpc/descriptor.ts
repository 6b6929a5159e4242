import protobuf from 'protobufjs';
import descriptorTypes from 'protobufjs/ext/descriptor/index.js';

/**
 * `google.protobuf.FileDescriptorProto` of a `.proto` text, as protoc would write it, for server
 * reflection. protobufjs's own `toDescriptor` is not used: it drops `proto3_optional` (optional
 * fields become plain oneofs), writes type names relative to their scope and marks every repeated
 * field `packed = false`; reflection clients in other languages would see a different schema than the
 * exported `.proto`. The descriptor test compares this output with protoc's.
 */
export function fileDescriptor(options: { proto: string; fileName: string }): Uint8Array {
  const parsed = protobuf.parse(options.proto, { keepCase: true });
  const root = parsed.root.resolveAll();
  const pkg = parsed.package ?? '';
  const scope = pkg === '' ? root : root.lookup(pkg);
  if (!(scope instanceof protobuf.Namespace)) throw new Error(`no package ${pkg} in the .proto`);
  const file: Record<string, unknown> = { name: options.fileName, syntax: 'proto3' };
  if (pkg !== '') file.package = pkg;
  const messageType: unknown[] = [];
  const enumType: unknown[] = [];
  const service: unknown[] = [];
  for (const nested of scope.nestedArray) {
    if (nested instanceof protobuf.Type) messageType.push(message(nested));
    else if (nested instanceof protobuf.Enum) enumType.push(enumeration(nested));
    else if (nested instanceof protobuf.Service) service.push(serviceOf(nested));
  }
  Object.assign(file, { messageType, enumType, service });
  const type = descriptorTypes.FileDescriptorProto;
  return type.encode(type.fromObject(file)).finish();
}

// google.protobuf.FieldDescriptorProto.Type
const scalarTypes: Record<string, number> = {
  double: 1,
  float: 2,
  int64: 3,
  uint64: 4,
  int32: 5,
  fixed64: 6,
  fixed32: 7,
  bool: 8,
  string: 9,
  bytes: 12,
  uint32: 13,
  sfixed32: 15,
  sfixed64: 16,
  sint32: 17,
  sint64: 18,
};
const TYPE_MESSAGE = 11;
const TYPE_ENUM = 14;
const LABEL_OPTIONAL = 1;
const LABEL_REPEATED = 3;

type Descriptor = Record<string, unknown>;

function message(type: protobuf.Type): Descriptor {
  const nestedType: Descriptor[] = [];
  const enumType: Descriptor[] = [];
  // protoc lists declared oneofs first, then the synthetic ones of proto3 `optional` fields.
  const declared = type.oneofsArray.filter((oneof) => !oneof.fieldsArray.some(isProto3Optional));
  const oneofDecl: Descriptor[] = declared.map((oneof) => ({ name: oneof.name }));
  const field = type.fieldsArray.map((f) => {
    const d: Descriptor = { name: f.name, number: f.id, jsonName: jsonName(f.name) };
    if (f instanceof protobuf.MapField) {
      const entry = `${camelCase(f.name)}Entry`;
      nestedType.push(mapEntry(entry, f));
      Object.assign(d, { label: LABEL_REPEATED, type: TYPE_MESSAGE, typeName: `${type.fullName}.${entry}` });
    } else {
      Object.assign(
        d,
        { label: f.repeated ? LABEL_REPEATED : LABEL_OPTIONAL },
        valueType(f.type, f.resolvedType),
      );
    }
    if (isProto3Optional(f) && f.partOf) {
      d.oneofIndex = oneofDecl.push({ name: f.partOf.name }) - 1;
      d.proto3Optional = true;
    } else if (f.partOf) d.oneofIndex = declared.indexOf(f.partOf);
    if (f.options?.deprecated === true) d.options = { deprecated: true };
    return d;
  });
  for (const nested of type.nestedArray) {
    if (nested instanceof protobuf.Type) nestedType.push(message(nested));
    else if (nested instanceof protobuf.Enum) enumType.push(enumeration(nested));
  }
  const d: Descriptor = { name: type.name, field, nestedType, enumType, oneofDecl };
  const ranges = (type.reserved ?? []).filter((r): r is number[] => Array.isArray(r));
  const names = (type.reserved ?? []).filter((r): r is string => typeof r === 'string');
  // protobufjs keeps `reserved 5 to 7` inclusive; the descriptor's end is exclusive.
  if (ranges.length > 0) d.reservedRange = ranges.map(([start, end]) => ({ start, end: end! + 1 }));
  if (names.length > 0) d.reservedName = names;
  if (type.options?.deprecated === true) d.options = { deprecated: true };
  return d;
}

function isProto3Optional(field: protobuf.Field): boolean {
  return field.options?.proto3_optional === true;
}

function mapEntry(name: string, field: protobuf.MapField): Descriptor {
  return {
    name,
    field: [
      { name: 'key', number: 1, label: LABEL_OPTIONAL, jsonName: 'key', type: scalarTypes[field.keyType] },
      {
        name: 'value',
        number: 2,
        label: LABEL_OPTIONAL,
        jsonName: 'value',
        ...valueType(field.type, field.resolvedType),
      },
    ],
    options: { mapEntry: true },
  };
}

function valueType(name: string, resolved: protobuf.ReflectionObject | null): Descriptor {
  if (resolved instanceof protobuf.Type) return { type: TYPE_MESSAGE, typeName: resolved.fullName };
  if (resolved instanceof protobuf.Enum) return { type: TYPE_ENUM, typeName: resolved.fullName };
  const scalar = scalarTypes[name];
  if (scalar === undefined) throw new Error(`unsupported protobuf type ${name}`);
  return { type: scalar };
}

function enumeration(type: protobuf.Enum): Descriptor {
  const value = Object.entries(type.values).map(([name, number]) => ({ name, number }));
  return { name: type.name, value };
}

function serviceOf(service: protobuf.Service): Descriptor {
  const method = service.methodsArray.map((m) => {
    const d: Descriptor = {
      name: m.name,
      inputType: m.resolvedRequestType?.fullName,
      outputType: m.resolvedResponseType?.fullName,
    };
    if (m.requestStream) d.clientStreaming = true;
    if (m.responseStream) d.serverStreaming = true;
    if (m.options?.deprecated === true) d.options = { deprecated: true };
    return d;
  });
  const d: Descriptor = { name: service.name, method };
  if (service.options?.deprecated === true) d.options = { deprecated: true };
  return d;
}

/** protoc's `ToJsonName`: drop underscores, upper-case the letter after each. */
function jsonName(name: string): string {
  return name.replace(/_+(.?)/g, (_, c: string) => c.toUpperCase());
}

/** protoc's map entry naming: `my_tags` → `MyTagsEntry`. */
function camelCase(name: string): string {
  const camel = jsonName(name);
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}
