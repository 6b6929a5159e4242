import { hubDefaults } from '../hub-api.js';
import type { HealthState, Instance, Registration } from '../types.js';
import type { RegistryEntry } from './types.js';

/** The stored form of a registration in a given health state. */
export function toEntry(registration: Registration, health: HealthState): RegistryEntry {
  const instance: Instance = {
    id: registration.id,
    service: registration.service,
    version: registration.version,
    endpoints: { ...registration.endpoints },
    labels: { ...registration.labels },
    ...(registration.zone === undefined ? {} : { zone: registration.zone }),
    health,
  };
  return {
    instance,
    ttlSeconds: registration.ttlSeconds ?? hubDefaults.ttlSeconds,
    ...(registration.check === undefined ? {} : { check: registration.check }),
  };
}

export interface Listeners<T> {
  add(listener: (value: T) => void): () => void;
  emit(value: T): void;
  clear(): void;
  readonly size: number;
}

/**
 * A listener set whose `emit` survives a throwing listener: one broken watcher must not stop the
 * backend from telling the others (nor fail the write that caused the change).
 */
export function createListeners<T>(): Listeners<T> {
  const set = new Set<(value: T) => void>();
  return {
    add(listener) {
      // Wrapped so the same function can be added twice and removed independently.
      const own = (value: T) => listener(value);
      set.add(own);
      return () => void set.delete(own);
    },
    emit(value) {
      for (const listener of [...set]) {
        try {
          listener(value);
        } catch (error) {
          process.emitWarning(`registry listener failed: ${String(error)}`, 'SwitchyardWarning');
        }
      }
    },
    clear: () => set.clear(),
    get size() {
      return set.size;
    },
  };
}
