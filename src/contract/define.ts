import { Kind, type TObject, type TSchema } from '@sinclair/typebox';
import { isCode, type Code } from '../errors/index.js';
import { ContractDefinitionError } from './definition-error.js';
import { checkProtoCompatible } from './proto-compat.js';
import { protoMessages } from './proto-numbering.js';
import type {
  CommandDef,
  Commands,
  Contract,
  Deprecation,
  EventDef,
  Events,
  HttpMapping,
  OperationDef,
  Operations,
} from './types.js';

const nameRule = /^[a-z][a-zA-Z0-9]*$/;
const serviceNameRule = /^[a-z][a-z0-9-]*$/;
const semverRule = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$/;
const methods = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

export interface OperationOptions<I extends TObject, O extends TObject> {
  input: I;
  output: O;
  /** Defaults to `POST /<operation name>`. */
  http?: HttpMapping;
  idempotent?: boolean;
  errors?: readonly Code[];
  description?: string;
  deprecated?: Deprecation;
}

export function operation<I extends TObject, O extends TObject>(
  options: OperationOptions<I, O>,
): OperationDef<I, O> {
  return {
    kind: 'operation',
    input: options.input,
    output: options.output,
    http: options.http ?? { method: 'POST', path: '' },
    idempotent: options.idempotent ?? false,
    errors: options.errors ?? [],
    ...optional('description', options.description),
    ...optional('deprecated', options.deprecated),
  };
}

export interface CommandOptions<P extends TObject, R extends TObject | undefined> {
  payload: P;
  reply?: R;
  partitionKey?: keyof P['properties'] & string;
  channel?: string;
  description?: string;
  deprecated?: Deprecation;
}

export function command<P extends TObject, R extends TObject | undefined = undefined>(
  options: CommandOptions<P, R>,
): CommandDef<P, R> {
  return {
    kind: 'command',
    payload: options.payload,
    reply: options.reply as R,
    ...optional('partitionKey', options.partitionKey),
    ...optional('channel', options.channel),
    ...optional('description', options.description),
    ...optional('deprecated', options.deprecated),
  };
}

export interface EventOptions<P extends TObject> {
  payload: P;
  partitionKey?: keyof P['properties'] & string;
  channel?: string;
  description?: string;
  deprecated?: Deprecation;
}

export function event<P extends TObject>(options: EventOptions<P>): EventDef<P> {
  return {
    kind: 'event',
    payload: options.payload,
    ...optional('partitionKey', options.partitionKey),
    ...optional('channel', options.channel),
    ...optional('description', options.description),
    ...optional('deprecated', options.deprecated),
  };
}

export interface ContractOptions<Ops extends Operations, Cmds extends Commands, Evts extends Events> {
  name: string;
  version: string;
  description?: string;
  deprecated?: Deprecation;
  operations?: Ops;
  commands?: Cmds;
  events?: Evts;
  snapshots?: URL;
  protoPackage?: string;
}

/**
 * Declares a service's contract. Everything a contract says is checked here, once, so a bad contract
 * fails where it is written rather than on the first call.
 */
export function contract<
  Ops extends Operations = Record<never, never>,
  Cmds extends Commands = Record<never, never>,
  Evts extends Events = Record<never, never>,
>(options: ContractOptions<Ops, Cmds, Evts>): Contract<Ops, Cmds, Evts> {
  const { name, version } = options;
  const where = `contract ${JSON.stringify(name)}`;
  if (typeof name !== 'string' || !serviceNameRule.test(name))
    throw new ContractDefinitionError(where, 'name must be lower-case letters, digits and dashes');
  const match = semverRule.exec(version);
  if (!match) throw new ContractDefinitionError(where, `version ${JSON.stringify(version)} is not semver`);
  if (options.deprecated) checkDeprecation(where, options.deprecated);

  const operations = (options.operations ?? {}) as Ops;
  const commands = (options.commands ?? {}) as Cmds;
  const events = (options.events ?? {}) as Evts;
  const seen = new Map<string, string>();
  const claim = (kind: string, key: string) => {
    if (!nameRule.test(key))
      throw new ContractDefinitionError(`${where} ${kind} ${key}`, 'names are camelCase');
    const previous = seen.get(key);
    if (previous)
      throw new ContractDefinitionError(`${where} ${kind} ${key}`, `duplicates the ${previous} of that name`);
    seen.set(key, kind);
  };

  const routes = new Map<string, string>();
  const resolvedOperations: Record<string, OperationDef> = {};
  for (const [key, op] of Object.entries(operations)) {
    claim('operation', key);
    const at = `${where} operation ${key}`;
    requireObject(at, 'input', op.input);
    requireObject(at, 'output', op.output);
    const http = op.http.path === '' ? { method: op.http.method, path: `/${key}` } : op.http;
    checkHttp(at, http, op.input);
    const route = `${http.method} ${http.path.replace(/:[^/]+/g, ':')}`;
    const clash = routes.get(route);
    if (clash)
      throw new ContractDefinitionError(
        at,
        `HTTP route ${http.method} ${http.path} clashes with operation ${clash}`,
      );
    routes.set(route, key);
    for (const code of op.errors)
      if (!isCode(code)) throw new ContractDefinitionError(at, `unknown error code ${JSON.stringify(code)}`);
    if (op.deprecated) checkDeprecation(at, op.deprecated);
    checkProtoCompatible(at, 'input', op.input);
    checkProtoCompatible(at, 'output', op.output);
    resolvedOperations[key] = { ...op, http };
  }
  for (const [key, cmd] of Object.entries(commands)) {
    claim('command', key);
    const at = `${where} command ${key}`;
    requireObject(at, 'payload', cmd.payload);
    if (cmd.reply !== undefined) requireObject(at, 'reply', cmd.reply);
    checkMessage(at, cmd);
    checkProtoCompatible(at, 'payload', cmd.payload);
    if (cmd.reply) checkProtoCompatible(at, 'reply', cmd.reply);
  }
  for (const [key, evt] of Object.entries(events)) {
    claim('event', key);
    const at = `${where} event ${key}`;
    requireObject(at, 'payload', evt.payload);
    checkMessage(at, evt);
    checkProtoCompatible(at, 'payload', evt.payload);
  }

  const major = Number(match[1]);
  const defined: Contract<Ops, Cmds, Evts> = Object.freeze({
    kind: 'contract',
    name,
    version,
    major,
    operations: resolvedOperations as Ops,
    commands,
    events,
    protoPackage: options.protoPackage ?? `switchyard.${name.replaceAll('-', '_')}.v${major}`,
    ...optional('description', options.description),
    ...optional('deprecated', options.deprecated),
    ...optional('snapshots', options.snapshots),
  });
  // Message and field names that would clash in the .proto fail here, where the contract is written.
  protoMessages(defined);
  return defined;
}

export function isContract(value: unknown): value is Contract {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'contract';
}

function requireObject(at: string, role: string, schema: TSchema | undefined): asserts schema is TObject {
  if (!schema || schema[Kind] !== 'Object')
    throw new ContractDefinitionError(
      at,
      `${role} must be a Type.Object schema (it becomes a protobuf message)`,
    );
}

function checkHttp(at: string, http: HttpMapping, input: TObject) {
  if (!methods.has(http.method))
    throw new ContractDefinitionError(at, `unsupported HTTP method ${http.method}`);
  if (!http.path.startsWith('/'))
    throw new ContractDefinitionError(at, `HTTP path ${http.path} must start with /`);
  for (const segment of http.path.split('/')) {
    if (!segment.startsWith(':')) continue;
    const param = segment.slice(1);
    const schema = input.properties[param];
    if (!schema)
      throw new ContractDefinitionError(at, `path parameter :${param} is not a property of the input schema`);
    if (!input.required?.includes(param))
      throw new ContractDefinitionError(at, `path parameter :${param} must be a required input property`);
    if (!['String', 'Number', 'Integer'].includes(String(schema[Kind])))
      throw new ContractDefinitionError(at, `path parameter :${param} must be a string, number or integer`);
  }
}

function checkMessage(at: string, def: CommandDef | EventDef) {
  if (def.deprecated) checkDeprecation(at, def.deprecated);
  if (def.partitionKey === undefined) return;
  const schema = def.payload.properties[def.partitionKey];
  if (!schema)
    throw new ContractDefinitionError(at, `partition key ${def.partitionKey} is not a payload property`);
  if (!def.payload.required?.includes(def.partitionKey))
    throw new ContractDefinitionError(
      at,
      `partition key ${def.partitionKey} must be a required payload property`,
    );
  if (!['String', 'Integer', 'Number'].includes(String(schema[Kind])))
    throw new ContractDefinitionError(at, `partition key ${def.partitionKey} must be a string or a number`);
}

function checkDeprecation(at: string, deprecation: Deprecation) {
  for (const field of ['since', 'sunset'] as const) {
    const value = deprecation[field];
    if (value === undefined) continue;
    if (Number.isNaN(Date.parse(value)))
      throw new ContractDefinitionError(at, `deprecated.${field} ${JSON.stringify(value)} is not a date`);
  }
  if (deprecation.sunset && Date.parse(deprecation.sunset) < Date.parse(deprecation.since))
    throw new ContractDefinitionError(at, 'deprecated.sunset is before deprecated.since');
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
