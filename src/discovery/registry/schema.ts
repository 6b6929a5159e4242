import { isIP } from 'node:net';
import { Type, type TSchema } from '@sinclair/typebox';
import { validator } from '../../contract/index.js';
import { SwitchyardError, type Violation } from '../../errors/index.js';
import { hubDefaults } from '../hub-api.js';
import type { HealthCheck, Registration } from '../types.js';

// Shapes only; `hostPortViolation` checks what a pattern cannot (port range, IP syntax).
const hostPort = Type.String({
  pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$',
  maxLength: 300,
});
const seconds = (maximum: number) => Type.Number({ exclusiveMinimum: 0, maximum });

/** Service names become DNS labels (`<service>.service.<domain>`), so they follow contract names and fit one label. */
const registrationSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]*$' }),
    service: Type.String({ maxLength: 63, pattern: '^[a-z][a-z0-9-]*$' }),
    version: Type.String({
      maxLength: 64,
      pattern: '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-[0-9A-Za-z.-]+)?$',
    }),
    endpoints: Type.Object(
      { http: Type.Optional(hostPort), grpc: Type.Optional(hostPort), nats: Type.Optional(hostPort) },
      { additionalProperties: false, minProperties: 1 },
    ),
    labels: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$' }),
        Type.String({ maxLength: 256 }),
        {
          maxProperties: 64,
        },
      ),
    ),
    zone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' })),
    ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    check: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

const streak = Type.Optional(Type.Integer({ minimum: 1, maximum: 100 }));
const timing = {
  intervalSeconds: Type.Optional(seconds(3600)),
  timeoutSeconds: Type.Optional(seconds(300)),
  failuresBeforeCritical: streak,
  successesBeforePassing: streak,
};
const checkSchemas: Record<HealthCheck['type'], TSchema> = {
  http: Type.Object(
    { type: Type.Literal('http'), url: Type.String({ pattern: '^https?://', maxLength: 2048 }), ...timing },
    { additionalProperties: false },
  ),
  tcp: Type.Object(
    { type: Type.Literal('tcp'), address: hostPort, ...timing },
    { additionalProperties: false },
  ),
  grpc: Type.Object(
    {
      type: Type.Literal('grpc'),
      address: hostPort,
      service: Type.Optional(Type.String({ maxLength: 256 })),
      ...timing,
    },
    { additionalProperties: false },
  ),
};

export interface ValidateOptions {
  /** The id in the URL: fills a missing body id and must equal a present one. */
  id?: string;
  /** TTL of a registration that names none (default `hubDefaults.ttlSeconds`). */
  ttlSeconds?: number;
}

/** Default check interval, and the timeout cap, in seconds. */
export const checkDefaults = { intervalSeconds: 10, timeoutSeconds: 5 } as const;

/**
 * A registration from the wire, validated and with defaults filled, or INVALID_ARGUMENT whose
 * message names the first bad field and whose `details.violations` lists every one (JSON pointers).
 */
export function parseRegistration(body: unknown, options: ValidateOptions = {}): Registration {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid([{ path: '/', rule: 'type', message: 'Expected a JSON object' }]);
  const input = { ...(body as Record<string, unknown>) };
  if (input.id === undefined && options.id !== undefined) input.id = options.id;
  const violations = validator(registrationSchema).violations(input);
  if (options.id !== undefined && typeof input.id === 'string' && input.id !== options.id)
    violations.push({ path: '/id', rule: 'const', message: `Expected the id in the URL (${options.id})` });
  const endpoints = (input.endpoints ?? {}) as Record<string, unknown>;
  for (const [protocol, address] of Object.entries(endpoints)) {
    const problem = typeof address === 'string' ? hostPortViolation(address) : undefined;
    if (problem) violations.push({ path: `/endpoints/${protocol}`, rule: 'format', message: problem });
  }
  if (input.check !== undefined) violations.push(...checkViolations(input.check));
  if (violations.length > 0) throw invalid(violations);
  return normalize(input as unknown as Registration, options.ttlSeconds ?? hubDefaults.ttlSeconds);
}

function checkViolations(check: unknown): Violation[] {
  if (typeof check !== 'object' || check === null || Array.isArray(check))
    return [{ path: '/check', rule: 'type', message: 'Expected an object' }];
  const type = (check as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(checkSchemas, type))
    return [{ path: '/check/type', rule: 'enum', message: 'Expected one of http, tcp, grpc' }];
  const found = validator(checkSchemas[type as HealthCheck['type']])
    .violations(check)
    .map((v) => ({ ...v, path: '/check' + (v.path === '/' ? '' : v.path) }));
  const c = check as Record<string, unknown>;
  if (typeof c.address === 'string') {
    const problem = hostPortViolation(c.address);
    if (problem) found.push({ path: '/check/address', rule: 'format', message: problem });
  }
  if (typeof c.url === 'string' && !URL.canParse(c.url))
    found.push({ path: '/check/url', rule: 'format', message: 'Expected an http(s) URL' });
  return found;
}

/** Why `host:port` is unusable, or undefined when it is fine. Exported for the DNS and check code. */
export function hostPortViolation(address: string): string | undefined {
  const parsed = splitHostPort(address);
  if (!parsed) return 'Expected host:port (IPv6 in brackets)';
  if (parsed.port < 1 || parsed.port > 65_535) return 'Expected a port from 1 to 65535';
  if (address.startsWith('[') && isIP(parsed.host) !== 6)
    return 'Expected an IPv6 address inside the brackets';
  if (/^[\d.]+$/.test(parsed.host) && isIP(parsed.host) !== 4) return 'Expected a valid IPv4 address';
  if (parsed.host.split('.').some((label) => label.length === 0 || label.length > 63))
    return 'Expected a host name of non-empty labels of at most 63 characters';
  return undefined;
}

/** `host:port` → parts; IPv6 loses its brackets. Undefined when the shape is wrong. */
export function splitHostPort(address: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (!match) return undefined;
  return { host: (match[1] ?? match[2])!, port: Number(match[3]) };
}

function normalize(input: Registration, ttlSeconds: number): Registration {
  const registration: Registration = {
    id: input.id,
    service: input.service,
    version: input.version,
    endpoints: { ...input.endpoints },
    labels: { ...input.labels },
    ttlSeconds: input.ttlSeconds ?? ttlSeconds,
  };
  if (input.zone !== undefined) registration.zone = input.zone;
  if (input.check !== undefined) {
    const intervalSeconds = input.check.intervalSeconds ?? checkDefaults.intervalSeconds;
    registration.check = {
      ...input.check,
      intervalSeconds,
      timeoutSeconds: input.check.timeoutSeconds ?? Math.min(checkDefaults.timeoutSeconds, intervalSeconds),
    };
  }
  return registration;
}

function invalid(violations: Violation[]): SwitchyardError {
  // TypeBox reports several rules for one bad field; the first per path says it best.
  const seen = new Set<string>();
  const unique = violations.filter((v) => !seen.has(v.path) && seen.add(v.path));
  const first = unique[0]!;
  return new SwitchyardError('INVALID_ARGUMENT', `invalid registration: ${first.path}: ${first.message}`, {
    details: { violations: unique },
  });
}
