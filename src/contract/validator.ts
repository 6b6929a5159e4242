import { Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import type { Violation } from '../errors/index.js';
import { registerFormats } from './formats.js';

registerFormats();

/** A schema compiled once. `check` is the hot path; `violations` explains a failure. */
export interface Validator<T = unknown> {
  readonly schema: TSchema;
  check(value: unknown): value is T;
  violations(value: unknown, limit?: number): Violation[];
  /** Fills declared defaults of omitted optional fields, in place; a no-op for schemas without defaults. */
  withDefaults(value: unknown): unknown;
}

const cache = new WeakMap<TSchema, Validator>();

export function validator<T = unknown>(schema: TSchema): Validator<T> {
  let compiled = cache.get(schema);
  if (!compiled) {
    compiled = compile(schema);
    cache.set(schema, compiled);
  }
  return compiled as Validator<T>;
}

function compile(schema: TSchema): Validator {
  const check: TypeCheck<TSchema> = TypeCompiler.Compile(schema);
  const hasDefaults = containsDefault(schema);
  return {
    schema,
    check: (value): value is unknown => check.Check(value),
    violations(value, limit = 20) {
      const out: Violation[] = [];
      for (const error of check.Errors(value)) {
        out.push(toViolation(error));
        if (out.length >= limit) break;
      }
      return out;
    },
    withDefaults: hasDefaults ? (value) => Value.Default(schema, value) : (value) => value,
  };
}

function containsDefault(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  if ('default' in schema && (schema as TSchema)[Kind] !== undefined) return true;
  return Object.values(schema).some(containsDefault);
}

/** `StringMaxLength` → `maxLength`: the JSON Schema keyword that failed. */
function ruleOf(type: ValueErrorType): string {
  const name = ValueErrorType[type] ?? 'Unknown';
  if (name === 'ObjectRequiredProperty') return 'required';
  if (name === 'ObjectAdditionalProperties') return 'additionalProperties';
  const keyword = name.replace(
    /^(Array|BigInt|Boolean|Date|Function|Integer|Intersect|Iterator|Kind|Literal|Never|Not|Null|Number|Object|Promise|RegExp|String|Symbol|TemplateLiteral|Tuple|Uint8Array|Undefined|Union|Void)/,
    '',
  );
  if (keyword === '') return name === 'Literal' ? 'const' : name === 'Union' ? 'anyOf' : 'type';
  return keyword[0]!.toLowerCase() + keyword.slice(1);
}

function toViolation(error: ValueError): Violation {
  return { path: error.path === '' ? '/' : error.path, rule: ruleOf(error.type), message: error.message };
}
