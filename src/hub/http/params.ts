import { SwitchyardError } from '../../errors/index.js';

/** Longest a blocking query may wait (Consul's cap), and the wait when a query names none. */
export const maxWaitMs = 10 * 60_000;
export const defaultWaitMs = 30_000;

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** `wait` as Consul writes it (`500ms`, `30s`, `5m`; a bare number is seconds), capped at ten minutes. */
export function parseWait(value: string | null): number {
  if (value === null || value === '') return defaultWaitMs;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!match) throw invalidParam('wait', 'Expected a duration such as 500ms, 30s or 5m');
  return Math.min(maxWaitMs, Number(match[1]) * units[match[2] ?? 's']!);
}

/** A non-negative integer query parameter, or undefined when absent. */
export function parseCount(name: string, value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) throw invalidParam(name, 'Expected a non-negative integer');
  return Number(value);
}

export function invalidParam(name: string, message: string): SwitchyardError {
  return new SwitchyardError('INVALID_ARGUMENT', `query parameter ${name}: ${message}`, {
    details: { violations: [{ path: `?${name}`, rule: 'format', message }] },
  });
}
