import type { HealthCheck, HealthState } from '../types.js';
import type { Probe } from './probes.js';
import { checkDefaults } from './schema.js';
import type { RegistryBackend, RegistryEntry } from './types.js';

export interface Transition {
  readonly id: string;
  readonly service: string;
  readonly from: HealthState;
  readonly to: HealthState;
}

export interface HealthCheckerOptions {
  backend: RegistryBackend;
  probe: Probe;
  /**
   * Whether this hub runs the checks of an instance (default: all). Hubs sharing one etcd split the
   * instances between them so each is probed once per interval, not once per hub.
   */
  owns?: (id: string) => boolean;
  onTransition?: (transition: Transition) => void;
}

interface Schedule {
  entry: RegistryEntry;
  /** The check as JSON: a re-registration with the same check keeps its rhythm. */
  readonly key: string;
  timer?: NodeJS.Timeout;
  stopped: boolean;
  /** Results in a row that differ from the recorded state (all the same), for flap damping. */
  streak: { state: HealthState; count: number } | undefined;
}

/** How many results in a row it takes to move to `to`; a `warning` (an instance asking for less) counts at once. */
function needed(check: HealthCheck, to: HealthState): number {
  if (to === 'critical') return check.failuresBeforeCritical ?? 1;
  if (to === 'passing') return check.successesBeforePassing ?? 1;
  return 1;
}

/**
 * Runs each instance's active check every `intervalSeconds` and records transitions in the backend,
 * whose change feed then tells every watcher. Checks of one instance never overlap: the next one is
 * timed from the end of the last. A check may ask for several results in a row before a change
 * (`failuresBeforeCritical`, `successesBeforePassing`, as Consul's), so one slow answer does not
 * take a busy instance out of every client's list.
 */
export function createHealthChecker(options: HealthCheckerOptions) {
  const { backend, probe } = options;
  const owns = options.owns ?? (() => true);
  const schedules = new Map<string, Schedule>();
  let stopWatching: (() => void) | undefined;

  const intervalMs = (entry: RegistryEntry) =>
    (entry.check?.intervalSeconds ?? checkDefaults.intervalSeconds) * 1000;

  const arm = (schedule: Schedule, delayMs: number) => {
    schedule.timer = setTimeout(() => void run(schedule), delayMs);
  };

  const run = async (schedule: Schedule) => {
    if (schedule.stopped) return;
    const { instance, check } = schedule.entry;
    if (check && owns(instance.id)) {
      const state = await probe(check);
      const from = schedule.entry.instance.health;
      const last = schedule.streak;
      schedule.streak =
        state === from ? undefined : { state, count: last?.state === state ? last.count + 1 : 1 };
      if (!schedule.stopped && schedule.streak && schedule.streak.count >= needed(check, state)) {
        schedule.streak = undefined;
        const known = await backend.setHealth(instance.id, state).catch(() => true);
        if (known) options.onTransition?.({ id: instance.id, service: instance.service, from, to: state });
      }
    }
    if (!schedule.stopped) arm(schedule, intervalMs(schedule.entry));
  };

  const cancel = (id: string) => {
    const schedule = schedules.get(id);
    if (!schedule) return;
    schedule.stopped = true;
    clearTimeout(schedule.timer);
    schedules.delete(id);
  };

  /** Follows an entry's latest state; (re)starts its rhythm only when its check changed. */
  const sync = (entry: RegistryEntry, firstDelayMs: number) => {
    const id = entry.instance.id;
    if (!entry.check) return cancel(id);
    const key = JSON.stringify(entry.check);
    const current = schedules.get(id);
    if (current?.key === key) {
      current.entry = entry;
      return;
    }
    cancel(id);
    const schedule: Schedule = { entry, key, stopped: false, streak: undefined };
    schedules.set(id, schedule);
    arm(schedule, firstDelayMs);
  };

  return {
    async start(): Promise<void> {
      stopWatching = backend.watch((change) => {
        if (change.type === 'remove') cancel(change.id);
        // The registry ran the first check before registering, so the next one is an interval away.
        else sync(change.entry, intervalMs(change.entry));
      });
      // After a restart, spread the checks over one interval instead of firing them all at once.
      for (const entry of (await backend.list()).entries) sync(entry, Math.random() * intervalMs(entry));
    },
    /** How many instances have a scheduled check (for tests and status output). */
    get size() {
      return schedules.size;
    },
    close(): void {
      stopWatching?.();
      for (const id of [...schedules.keys()]) cancel(id);
    },
  };
}
