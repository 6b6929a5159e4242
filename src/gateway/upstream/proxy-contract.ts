import { Type } from '@sinclair/typebox';
import type { AnyContract, OperationDef } from '../../contract/index.js';

const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** Repeating these has the effect of sending them once (RFC 9110 §9.2.2). */
const idempotentMethods = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const empty = Type.Object({});

/**
 * What the resilience policies key a proxied route by, in the shape of a contract: the upstream as
 * the service (its breaker and retry budget), one operation per route and method (`catalog:GET`), and
 * whether that operation may be retried.
 */
export function proxyContract(options: {
  upstream: string;
  major: number;
  route: string;
  idempotent?: boolean;
}): AnyContract {
  const operations: Record<string, OperationDef> = {};
  for (const method of methods) {
    operations[`${options.route}:${method}`] = {
      kind: 'operation',
      input: empty,
      output: empty,
      http: { method: method === 'HEAD' || method === 'OPTIONS' ? 'GET' : method, path: '/' },
      idempotent: options.idempotent ?? idempotentMethods.has(method),
      errors: [],
    };
  }
  return {
    kind: 'contract',
    name: options.upstream,
    version: `${options.major}.0.0`,
    major: options.major,
    operations,
    commands: {},
    events: {},
    protoPackage: '',
  };
}
