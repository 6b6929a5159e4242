import type { IncomingHttpHeaders } from 'node:http';
import { identityHeaderPrefix } from '../../envelope/index.js';
import type { Identity } from './types.js';

/** Every header the gateway sets for services starts with this; incoming ones are stripped. */
export { identityHeaderPrefix };

const names = {
  subject: 'x-identity-subject',
  clientId: 'x-identity-client-id',
  method: 'x-identity-method',
  scopes: 'x-identity-scopes',
  roles: 'x-identity-roles',
} as const;

// Subjects and scopes are arbitrary strings: percent-encoded, they cannot break or smuggle a header.
const encode = (value: string) => encodeURIComponent(value);
const encodeList = (values: readonly string[]) => values.map(encode).join(' ');

/** The headers that tell a service who called; none for an anonymous caller. */
export function identityHeaders(identity: Identity | undefined): Record<string, string> {
  if (!identity) return {};
  return {
    [names.subject]: encode(identity.subject),
    [names.clientId]: encode(identity.clientId),
    [names.method]: identity.method,
    [names.scopes]: encodeList(identity.scopes),
    [names.roles]: encodeList(identity.roles),
  };
}

/**
 * Removes every `x-identity-*` header (any case) from a request's headers, in place, and returns
 * them: a client must never be able to claim an identity the gateway did not establish.
 */
export function stripIdentityHeaders<T extends Record<string, unknown>>(headers: T): T {
  for (const name of Object.keys(headers))
    if (name.toLowerCase().startsWith(identityHeaderPrefix)) delete headers[name];
  return headers;
}

/**
 * For services behind the gateway: the caller's identity from its headers, or undefined when there
 * are none. Trust these headers only on requests that can come from the gateway alone.
 */
export function identityFromHeaders(headers: IncomingHttpHeaders): Identity | undefined {
  const one = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const subject = one(names.subject);
  const method = one(names.method);
  if (subject === undefined || (method !== 'jwt' && method !== 'api-key')) return undefined;
  const list = (name: string) => (one(name) ?? '').split(' ').filter(Boolean).map(decode);
  return {
    subject: decode(subject),
    clientId: decode(one(names.clientId) ?? subject),
    method,
    scopes: list(names.scopes),
    roles: list(names.roles),
  };
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
