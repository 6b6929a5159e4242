import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderConditionSpec } from '../config/schema.js';

export type HostMatcher = (host: string | undefined) => boolean;
export type HeaderMatcher = (headers: IncomingHttpHeaders) => boolean;

/** Exact names or `*.example.com` (any sub-domain); case-insensitive, the port ignored. */
export function hostMatcher(patterns: string | readonly string[]): HostMatcher {
  const list = (typeof patterns === 'string' ? [patterns] : patterns).map((p) => p.toLowerCase());
  const exact = new Set(list.filter((p) => !p.startsWith('*.')));
  const suffixes = list.filter((p) => p.startsWith('*.')).map((p) => p.slice(1));
  return (header) => {
    if (header === undefined) return false;
    const host = hostName(header);
    return exact.has(host) || suffixes.some((suffix) => host.endsWith(suffix) && host.length > suffix.length);
  };
}

/** `api.example.com:8080` → `api.example.com`; `[::1]:8080` → `[::1]`. */
export function hostName(header: string): string {
  const lower = header.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.indexOf(':');
  return colon < 0 ? lower : lower.slice(0, colon);
}

/** Every condition must hold: a string is an exact value; `matches` a regular expression; `present` presence. */
export function headerMatcher(conditions: Readonly<Record<string, HeaderConditionSpec>>): HeaderMatcher {
  const checks = Object.entries(conditions).map(([name, spec]) => {
    const key = name.toLowerCase();
    const condition = typeof spec === 'string' ? { equals: spec } : spec;
    const regex = condition.matches === undefined ? undefined : new RegExp(condition.matches);
    return (headers: IncomingHttpHeaders) => {
      const raw = headers[key];
      const value = Array.isArray(raw) ? raw.join(', ') : raw;
      if (condition.present !== undefined && (value !== undefined) !== condition.present) return false;
      if (condition.equals !== undefined && value !== condition.equals) return false;
      if (regex && (value === undefined || !regex.test(value))) return false;
      return true;
    };
  });
  return (headers) => checks.every((check) => check(headers));
}
