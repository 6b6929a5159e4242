import type { AnyContract } from '../../contract/index.js';
import { SwitchyardError } from '../../errors/index.js';

export const defaultSubjectPrefix = 'switchyard';

// Dot-separated tokens without wildcards or whitespace: a prefix must name subjects, never match them.
const prefixRule = /^[^\s.*>]+(\.[^\s.*>]+)*$/;

export function checkPrefix(prefix: string): string {
  if (!prefixRule.test(prefix))
    throw new SwitchyardError('INVALID_ARGUMENT', `Invalid NATS subject prefix ${JSON.stringify(prefix)}`, {
      details: { subjectPrefix: prefix },
    });
  return prefix;
}

/** `<prefix>.<service>.v<major>`: the subject group of one major version of a service. */
export function serviceSubject(prefix: string, contract: AnyContract): string {
  return `${prefix}.${contract.name}.v${contract.major}`;
}

/** `<prefix>.<service>.v<major>.<operation>`: where one operation is served. */
export function operationSubject(prefix: string, contract: AnyContract, operation: string): string {
  return `${serviceSubject(prefix, contract)}.${operation}`;
}

/**
 * `<service>.v<major>`: instances of the same major version compete for requests; v1 and v2 are
 * different groups, so each version keeps getting its own requests while both run side by side.
 */
export function queueGroup(contract: AnyContract): string {
  return `${contract.name}.v${contract.major}`;
}

/**
 * Subjects of every operation of a contract, built once per contract object so that a call costs a
 * map lookup instead of a string concatenation (which nats.js would then flatten again).
 */
export function subjectCache(prefix: string): (contract: AnyContract, operation: string) => string {
  const byContract = new WeakMap<AnyContract, Record<string, string>>();
  return (contract, operation) => {
    let subjects = byContract.get(contract);
    if (!subjects) {
      subjects = {};
      for (const op of Object.keys(contract.operations))
        subjects[op] = operationSubject(prefix, contract, op);
      byContract.set(contract, subjects);
    }
    return subjects[operation] ?? operationSubject(prefix, contract, operation);
  };
}
