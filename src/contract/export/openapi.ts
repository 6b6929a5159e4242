import { Kind, type TSchema } from '@sinclair/typebox';
import { allCodes, codes, problemContentType, type Code } from '../../errors/index.js';
import type { AnyContract, HttpMethod, OperationDef } from '../types.js';
import {
  camelCase,
  capitalize,
  cleanSchema,
  deprecationNote,
  effectiveDeprecation,
  omitProperties,
  paragraphs,
  schemaComponents,
  sortedByKey,
  type JsonSchema,
  type SchemaComponents,
} from './json-schema.js';

export interface OpenApiOptions {
  /** Defaults to the contract name (names, when several contracts share the document). */
  title?: string;
  /** Defaults to the contract version (versions, when several). */
  version?: string;
  /** Base URLs; the `/v<major>` prefix is part of each path, not of the server URL. */
  servers?: string[];
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  style?: 'form';
  explode?: boolean;
  schema?: JsonSchema;
  content?: Record<string, { schema: JsonSchema }>;
}

export interface OpenApiResponse {
  description: string;
  content?: Record<string, { schema: JsonSchema }>;
  'x-error-codes'?: Code[];
}

export interface OpenApiOperation {
  tags: string[];
  description?: string;
  externalDocs?: { url: string; description?: string };
  operationId: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, OpenApiResponse>;
  deprecated?: true;
  'x-idempotent': boolean;
  'x-sunset'?: string;
}

export type OpenApiMethod = Lowercase<HttpMethod>;
export type OpenApiPathItem = Partial<Record<OpenApiMethod, OpenApiOperation>>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  tags: { name: string; description?: string }[];
  paths: Record<string, OpenApiPathItem>;
  components: { schemas: Record<string, JsonSchema> };
}

/** Bodies and results are served in both codecs the HTTP transport negotiates. */
const bodyMediaTypes = ['application/json', 'application/msgpack'] as const;
/** Path Item field order, so documents diff cleanly. */
const methodOrder: readonly OpenApiMethod[] = ['get', 'put', 'post', 'delete', 'patch'];
/** Any call can fail validation or crash, whatever the operation declares. */
const alwaysPossible: readonly Code[] = ['INVALID_ARGUMENT', 'INTERNAL'];

/**
 * OpenAPI 3.1 for the HTTP mapping of one or more contracts. Each contract's paths sit under
 * `/v<major>`, so v1 and v2 of one service can share a document.
 */
export function exportOpenApi(
  contracts: AnyContract | AnyContract[],
  options: OpenApiOptions = {},
): OpenApiDocument {
  const list = Array.isArray(contracts) ? contracts : [contracts];
  const several = list.length > 1;
  const components = schemaComponents({ reserved: ['Problem', 'Violation'] });
  const problem = { $ref: `${components.refBase}Problem` };
  const items = new Map<string, OpenApiPathItem>();
  const seen = new Set<string>();
  // OpenAPI treats `/a/{x}` and `/a/{y}` as the same path, so they must be written the same way.
  const templates = new Map<string, string>();

  for (const contract of list) {
    const label = `${contract.name} v${contract.major}`;
    if (seen.has(label)) throw new Error(`OpenAPI export: ${label} is given twice`);
    seen.add(label);
    for (const [name, op] of Object.entries(contract.operations)) {
      const path = `/v${contract.major}${op.http.path === '/' ? '' : op.http.path.replace(/:([^/]+)/g, '{$1}')}`;
      const method = op.http.method.toLowerCase() as OpenApiMethod;
      const template = path.replace(/\{[^}]+\}/g, '{}');
      const spelled = templates.get(template) ?? path;
      if (spelled !== path)
        throw new Error(
          `OpenAPI export: ${path} (${label} ${name}) must name its parameters as ${spelled} does`,
        );
      templates.set(template, path);
      const item = items.get(path) ?? {};
      if (item[method])
        throw new Error(`OpenAPI export: ${op.http.method} ${path} is mapped twice (${label} ${name})`);
      const operationId = several ? `${camelCase(contract.name)}V${contract.major}${capitalize(name)}` : name;
      item[method] = toOperation({ contract, op, operationId, tag: label, components, problem });
      items.set(path, item);
    }
  }

  const paths: Record<string, OpenApiPathItem> = {};
  for (const path of [...items.keys()].sort()) {
    const item = items.get(path)!;
    paths[path] = Object.fromEntries(methodOrder.filter((m) => item[m]).map((m) => [m, item[m]]));
  }
  const first = list[0];
  const unique = (values: string[]) => [...new Set(values)].join(', ');
  const description = several ? undefined : first && paragraphs(first.description, noteOf(first));
  const schemas = { ...components.schemas, ...problemSchemas(components.refBase) };
  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? (unique(list.map((c) => c.name)) || 'switchyard'),
      version: options.version ?? (unique(list.map((c) => c.version)) || '0.0.0'),
      ...(description ? { description } : {}),
    },
    ...(options.servers ? { servers: options.servers.map((url) => ({ url })) } : {}),
    tags: list.map((c) => {
      const text = paragraphs(c.description, noteOf(c));
      return { name: `${c.name} v${c.major}`, ...(text ? { description: text } : {}) };
    }),
    paths,
    components: {
      schemas: sortedByKey(schemas),
    },
  };
}

function noteOf(contract: AnyContract): string | undefined {
  return contract.deprecated && deprecationNote(contract.deprecated);
}

interface OperationContext {
  contract: AnyContract;
  op: OperationDef;
  operationId: string;
  tag: string;
  components: SchemaComponents;
  problem: JsonSchema;
}

function toOperation(context: OperationContext): OpenApiOperation {
  const { contract, op, operationId, tag, components, problem } = context;
  const deprecation = effectiveDeprecation(contract, op.deprecated);
  const description = paragraphs(op.description, deprecation && deprecationNote(deprecation));
  // Named components give generated clients type names, and the JSON and MessagePack bodies share one schema.
  const typeName = capitalize(operationId);
  const inPath = [...op.http.path.matchAll(/:([^/]+)/g)].map((m) => m[1]!);
  const required = new Set(op.input.required ?? []);
  const parameters: OpenApiParameter[] = inPath.map((name) =>
    parameter({ name, where: 'path', required: true, schema: op.input.properties[name]!, components }),
  );
  let requestBody: OpenApiOperation['requestBody'];
  if (op.http.method === 'GET' || op.http.method === 'DELETE') {
    for (const [name, schema] of Object.entries(op.input.properties))
      if (!inPath.includes(name))
        parameters.push(
          parameter({ name, where: 'query', required: required.has(name), schema, components }),
        );
  } else if (Object.keys(op.input.properties).some((name) => !inPath.includes(name))) {
    const schema = components.add(`${typeName}Body`, omitProperties(op.input, inPath, { components }));
    requestBody = { required: [...required].some((name) => !inPath.includes(name)), content: media(schema) };
  }
  return {
    tags: [tag],
    ...(description ? { description } : {}),
    ...(deprecation?.link
      ? { externalDocs: { url: deprecation.link, description: 'What replaces it' } }
      : {}),
    operationId,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: {
      '200': {
        description: 'The result',
        content: media(components.add(`${typeName}Result`, cleanSchema(op.output, { components }))),
      },
      ...errorResponses(op.errors, problem),
    },
    ...(deprecation ? { deprecated: true as const } : {}),
    'x-idempotent': op.idempotent,
    ...(deprecation?.sunset ? { 'x-sunset': deprecation.sunset } : {}),
  };
}

function media(schema: JsonSchema): Record<string, { schema: JsonSchema }> {
  return Object.fromEntries(bodyMediaTypes.map((type) => [type, { schema }]));
}

interface ParameterSpec {
  name: string;
  where: 'path' | 'query';
  required: boolean;
  schema: TSchema;
  components: SchemaComponents;
}

/**
 * Scalars and arrays of scalars use the query string's native form (`?tag=a&tag=b`); anything
 * nested (objects, records, nullable values, arrays of objects) is one parameter holding JSON,
 * because form style cannot say nesting or null and deepObject has no defined array encoding.
 */
function parameter({ name, where, required, schema, components }: ParameterSpec): OpenApiParameter {
  const clean = cleanSchema(schema, { components });
  const head = {
    name,
    in: where,
    required,
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
  };
  if (where === 'path') return { ...head, schema: clean };
  if (isScalar(schema) || (schema[Kind] === 'Array' && isScalar(schema.items as TSchema)))
    return { ...head, style: 'form', explode: true, schema: clean };
  return { ...head, content: { 'application/json': { schema: clean } } };
}

function isScalar(schema: TSchema): boolean {
  const kind = schema[Kind];
  if (kind === 'Union') return (schema.anyOf as TSchema[]).every((s) => s[Kind] === 'Literal');
  return ['String', 'Number', 'Integer', 'Boolean', 'Literal'].includes(String(kind));
}

/** One response per HTTP status; codes sharing a status share it, listed in its description. */
function errorResponses(declared: readonly Code[], problem: JsonSchema): Record<string, OpenApiResponse> {
  const wanted = new Set([...alwaysPossible, ...declared]);
  const byStatus = new Map<number, Code[]>();
  for (const code of allCodes) {
    if (!wanted.has(code)) continue;
    const status = codes[code].http;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const content = { [problemContentType]: { schema: problem } };
  const out: Record<string, OpenApiResponse> = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const list = byStatus.get(status)!;
    const description = list.map((code) => `\`${code}\`: ${codes[code].title}`).join('; ');
    out[String(status)] = { description, content, 'x-error-codes': list };
  }
  out.default = { description: 'Any other error, as problem details', content };
  return out;
}

/** The problem document `toProblem` writes (src/errors/problem.ts), as the schema every error response shares. */
function problemSchemas(refBase: string): Record<string, JsonSchema> {
  return {
    Problem: {
      type: 'object',
      description: "RFC 9457 problem details, with Switchyard's stable error code as an extension member.",
      required: ['type', 'title', 'status', 'detail', 'code'],
      properties: {
        type: {
          type: 'string',
          format: 'uri',
          description: 'The problem type: https://switchyard.dev/errors/<code>',
        },
        title: { type: 'string', description: 'Summary of the problem type' },
        status: { type: 'integer', minimum: 100, maximum: 599 },
        detail: { type: 'string', description: 'What went wrong with this request' },
        instance: { type: 'string', format: 'uri-reference' },
        code: {
          type: 'string',
          enum: [...allCodes],
          description: 'Stable error code: branch on it, not on text',
        },
        retryable: { type: 'boolean', description: 'Whether the same request may be retried unchanged' },
        details: {
          type: 'object',
          properties: { violations: { type: 'array', items: { $ref: `${refBase}Violation` } } },
          additionalProperties: true,
        },
      },
      additionalProperties: true,
    },
    Violation: {
      type: 'object',
      description: 'One failing validation rule.',
      required: ['path', 'rule', 'message'],
      properties: {
        path: { type: 'string', description: 'JSON Pointer to the offending value, e.g. /items/0/quantity' },
        rule: { type: 'string', description: 'The JSON Schema keyword that failed, e.g. minimum' },
        message: { type: 'string' },
      },
    },
  };
}
