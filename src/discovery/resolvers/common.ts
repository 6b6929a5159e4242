import { SwitchyardError } from '../../errors/index.js';
import type { Instance } from '../types.js';
import { equalJitter } from '../../internal/backoff.js';

/** The major version of a semver string, or undefined when the version is unknown (DNS, address lists). */
export function majorOf(version: string): number | undefined {
  const major = Number.parseInt(version, 10);
  return Number.isNaN(major) ? undefined : major;
}

/**
 * Keeps the instances of one major version. Instances whose version is unknown are kept: a source that
 * cannot tell versions apart (a DNS name, a list of addresses) is trusted to name the right ones.
 */
export function filterMajor(instances: readonly Instance[], major: number | undefined): readonly Instance[] {
  if (major === undefined) return instances;
  return instances.filter((i) => {
    const m = majorOf(i.version);
    return m === undefined || m === major;
  });
}

/** Cache key of one resolution: a service, or a service at one major version. */
export function cacheKey(service: string, major: number | undefined): string {
  return major === undefined ? service : `${service}@${major}`;
}

/**
 * The error a resolver raises when it has never had an answer for a service. `notSent` tells retry
 * policies the request never left, so even non-idempotent operations may be retried.
 */
export function unavailable(service: string, message: string, cause?: unknown): SwitchyardError {
  return new SwitchyardError('UNAVAILABLE', `cannot resolve ${service}: ${message}`, {
    details: { notSent: true, service },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** `host:port`, with IPv6 addresses in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Capped exponential backoff with equal jitter: never zero, so a dead source is not hammered. */
export function backoff(options: { initialMs?: number; maxMs?: number; random?: () => number } = {}) {
  const { initialMs = 100, maxMs = 5000, random = Math.random } = options;
  let attempt = 0;
  return {
    next(): number {
      attempt = Math.min(attempt + 1, 31);
      return equalJitter(attempt, initialMs, maxMs, random);
    },
    reset(): void {
      attempt = 0;
    },
  };
}

/** A resolver lost its source and is answering from its last known instances. Emitted once per outage. */
export interface StaleEvent {
  readonly service: string;
  readonly major?: number;
  /** How many instances it keeps serving. */
  readonly instances: number;
  readonly error: unknown;
}

/** A resolver that was stale reached its source again. */
export interface FreshEvent {
  readonly service: string;
  readonly major?: number;
}
