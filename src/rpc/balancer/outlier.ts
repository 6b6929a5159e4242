import type { Instance } from '../../discovery/types.js';
import { Emitter } from '../../resilience/events.js';
import type { Event } from '../../resilience/index.js';
import type { Outcome } from '../endpoint.js';

export interface OutlierOptions {
  /** Failures in a row (the instance's fault) that eject it (default 5). */
  consecutiveFailures?: number;
  /** First ejection lasts this long; the n-th lasts n times as long (default 30 s). */
  baseEjectionMs?: number;
  /** Cap on one ejection (default 300 s). */
  maxEjectionMs?: number;
  /**
   * Most instances ejected at once, as a share of those known (default 10). At least one may always
   * be ejected, and at least one is always left: ejecting everything would turn a shared problem
   * (a bad dependency, the caller's own network) into a total outage.
   */
  maxEjectionPercent?: number;
  /** Monotonic ms clock, injectable for tests. */
  now?: () => number;
}

export interface EjectEvent {
  readonly instanceId: string;
  readonly durationMs: number;
  /** How many times in a row (allowing for decay) it has been ejected. */
  readonly times: number;
}

export interface OutlierDetector {
  /** The instances not ejected now: the same array when none is, so balancers keep their caches. */
  filter(instances: readonly Instance[]): readonly Instance[];
  record(instanceId: string, outcome: Outcome): void;
  isEjected(instanceId: string): boolean;
  readonly onEject: Event<EjectEvent>;
  readonly onReturn: Event<{ readonly instanceId: string }>;
}

interface State {
  failures: number;
  /** Ejection multiplier; decays by one for each base period spent back in since the last ejection. */
  ejections: number;
  until: number;
  endedAt: number;
}

/**
 * Passive outlier ejection (Envoy's consecutive-errors detector): watches real call outcomes and
 * takes an instance out of rotation after `consecutiveFailures` failures that were its fault. A
 * success resets the count; caller faults are ignored. An instance returns on its own when its
 * ejection ends: no probing, the next real calls judge it again.
 */
export function outlierDetector(options: OutlierOptions = {}): OutlierDetector {
  const threshold = options.consecutiveFailures ?? 5;
  const baseMs = options.baseEjectionMs ?? 30_000;
  const maxMs = options.maxEjectionMs ?? 300_000;
  const percent = options.maxEjectionPercent ?? 10;
  const now = options.now ?? (() => performance.now());
  const states = new Map<string, State>();
  const ejected = new Map<string, State>();
  const ejects = new Emitter<EjectEvent>();
  const returns = new Emitter<{ readonly instanceId: string }>();
  let known = 0;
  let version = 0;
  let cached: { input: readonly Instance[]; version: number; output: readonly Instance[] } | undefined;

  function expire(t: number): void {
    for (const [instanceId, s] of ejected) {
      if (s.until > t) continue;
      ejected.delete(instanceId);
      s.endedAt = s.until;
      s.failures = 0;
      version++;
      if (returns.listening) returns.emit({ instanceId });
    }
  }

  function prune(instances: readonly Instance[]): void {
    if (states.size <= 2 * instances.length + 16) return;
    const present = new Set(instances.map((i) => i.id));
    for (const id of states.keys()) if (!present.has(id) && !ejected.has(id)) states.delete(id);
  }

  return {
    filter(instances) {
      known = instances.length;
      prune(instances);
      if (ejected.size === 0) return instances;
      expire(now());
      if (ejected.size === 0) return instances;
      if (cached?.input === instances && cached.version === version) return cached.output;
      const output = instances.filter((i) => !ejected.has(i.id));
      cached = { input: instances, version, output };
      return output;
    },
    record(instanceId, outcome) {
      if (outcome.ok) {
        const s = states.get(instanceId);
        if (s) s.failures = 0;
        return;
      }
      if (outcome.callerFault) return;
      const t = now();
      expire(t);
      // Late failures of calls sent before the ejection neither extend it nor count afterwards.
      if (ejected.has(instanceId)) return;
      let s = states.get(instanceId);
      if (!s) states.set(instanceId, (s = { failures: 0, ejections: 0, until: 0, endedAt: 0 }));
      if (++s.failures < threshold) return;
      const allowed = Math.min(known - 1, Math.max(1, Math.floor((known * percent) / 100)));
      if (ejected.size >= allowed) return;
      if (s.ejections > 0) s.ejections = Math.max(0, s.ejections - Math.floor((t - s.endedAt) / baseMs));
      s.ejections++;
      const durationMs = Math.min(maxMs, baseMs * s.ejections);
      s.until = t + durationMs;
      s.failures = 0;
      ejected.set(instanceId, s);
      version++;
      if (ejects.listening) ejects.emit({ instanceId, durationMs, times: s.ejections });
    },
    isEjected(instanceId) {
      expire(now());
      return ejected.has(instanceId);
    },
    onEject: ejects.event,
    onReturn: returns.event,
  };
}
