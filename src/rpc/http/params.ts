import { Kind, type TSchema } from '@sinclair/typebox';
import { SwitchyardError } from '../../errors/index.js';

/**
 * How one input property travels outside the body: in the path, or in the query string of a GET or
 * DELETE. The rules are those of the OpenAPI export (src/contract/export/openapi.ts `parameter`), so
 * what the document promises is what the server reads and what the client writes:
 * - scalars (string, number, integer, boolean, enums of literals) and arrays of scalars use the native
 *   form style (`?tag=a&tag=b`);
 * - anything nested (objects, records, `T | null`, arrays of objects) is one parameter holding JSON.
 * A text that does not convert (e.g. `abc` for an integer) is passed on as the string it is, so the
 * server's validation reports it at the right path with the rule that failed.
 */
export type ParamStyle = 'scalar' | 'array' | 'json';

export interface ParamSpec {
  readonly name: string;
  readonly style: ParamStyle;
  /** Text to value, for scalars and array items. */
  readonly read: (text: string) => unknown;
}

export function paramSpec(name: string, schema: TSchema): ParamSpec {
  if (isScalar(schema)) return { name, style: 'scalar', read: scalarReader(schema) };
  if (schema[Kind] === 'Array' && isScalar(schema.items as TSchema))
    return { name, style: 'array', read: scalarReader(schema.items as TSchema) };
  return { name, style: 'json', read: (text) => readJson(name, text) };
}

/** Same rule as the OpenAPI export's `isScalar`; a test holds the two together. */
export function isScalar(schema: TSchema): boolean {
  const kind = schema[Kind];
  if (kind === 'Union') return (schema.anyOf as TSchema[]).every((s) => s[Kind] === 'Literal');
  return (
    kind === 'String' || kind === 'Number' || kind === 'Integer' || kind === 'Boolean' || kind === 'Literal'
  );
}

const identity = (text: string) => text;

function scalarReader(schema: TSchema): (text: string) => unknown {
  switch (schema[Kind]) {
    case 'Number':
    case 'Integer':
      return readNumber;
    case 'Boolean':
      return readBoolean;
    case 'Literal':
      return literalReader([schema.const as unknown]);
    case 'Union':
      return literalReader((schema.anyOf as TSchema[]).map((s) => s.const as unknown));
    default:
      return identity;
  }
}

function readNumber(text: string): unknown {
  const n = Number(text);
  return text.trim() === '' || !Number.isFinite(n) ? text : n;
}

function readBoolean(text: string): unknown {
  return text === 'true' ? true : text === 'false' ? false : text;
}

function literalReader(values: readonly unknown[]): (text: string) => unknown {
  const byText = new Map(values.map((value) => [String(value), value]));
  return (text) => (byText.has(text) ? byText.get(text) : text);
}

function readJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SwitchyardError('INVALID_ARGUMENT', `query parameter ${name} is not valid JSON`, {
      details: { violations: [{ path: `/${name}`, rule: 'type', message: 'Expected a JSON value' }] },
    });
  }
}

/** Value to query text; `undefined` means "leave the parameter out". */
export function writeParam(spec: ParamSpec, value: unknown, out: string[]): void {
  if (value === undefined) return;
  const key = encodeURIComponent(spec.name);
  if (spec.style === 'json') out.push(`${key}=${encodeURIComponent(JSON.stringify(value))}`);
  else if (spec.style === 'array' && Array.isArray(value))
    for (const item of value) out.push(`${key}=${encodeURIComponent(String(item))}`);
  else out.push(`${key}=${encodeURIComponent(String(value))}`);
}

/**
 * `%`-decodes one component. In a query `+` is a space, as browsers and URLSearchParams write it; in a
 * path it is a plus sign.
 */
export function decodeComponent(text: string, what: string, plusIsSpace: boolean): string {
  const plus = plusIsSpace && text.includes('+');
  if (!plus && !text.includes('%')) return text;
  try {
    return decodeURIComponent(plus ? text.replaceAll('+', ' ') : text);
  } catch {
    throw new SwitchyardError('INVALID_ARGUMENT', `${what} is not valid percent-encoding`);
  }
}
