import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SwitchyardError } from '../../errors/index.js';
import { hubDefaults } from '../hub-api.js';
import type { HealthState, Instance, Registration } from '../types.js';
import { createListeners, toEntry } from './entry.js';
import type {
  BackendOptions,
  RegistryBackend,
  RegistryChange,
  RegistryEntry,
  UpsertOptions,
} from './types.js';

export interface SqliteBackendOptions extends BackendOptions {
  /** Database file (its folder is created), or `:memory:`. */
  path: string;
  /** How often expired instances are looked for (default 250 ms): eviction lags the deadline by at most this. */
  sweepIntervalMs?: number;
  /** Wall clock in ms; deadlines are wall-clock times because they must survive a restart. */
  now?: () => number;
}

interface Row {
  id: string;
  service: string;
  registration: string;
  health: HealthState;
  ttl_ms: number;
  expires_at: number;
}

const schema = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT OR IGNORE INTO meta (key, value) VALUES ('index', 0), ('schema', 1);
  CREATE TABLE IF NOT EXISTS services (name TEXT PRIMARY KEY, idx INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    registration TEXT NOT NULL,
    health TEXT NOT NULL,
    ttl_ms INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS instances_by_service ON instances (service);
  CREATE INDEX IF NOT EXISTS instances_by_expiry ON instances (expires_at);
`;

/**
 * The hub's own registry: one SQLite file in WAL mode. The index is a counter row bumped in the same
 * transaction as each change; the sweep that evicts silent instances runs in this process. The file is
 * locked exclusively, so a second hub on the same data dir fails at start instead of diverging.
 */
export function createSqliteBackend(options: SqliteBackendOptions): RegistryBackend {
  const evictAfter = options.evictAfter ?? hubDefaults.evictAfter;
  const now = options.now ?? Date.now;
  const db = open(options.path);
  const listeners = createListeners<RegistryChange>();

  const q = {
    nextIndex: db.prepare<[], { value: number }>(
      `UPDATE meta SET value = value + 1 WHERE key = 'index' RETURNING value`,
    ),
    index: db.prepare<[], { value: number }>(`SELECT value FROM meta WHERE key = 'index'`),
    serviceIndex: db.prepare<[string], { idx: number }>(`SELECT idx FROM services WHERE name = ?`),
    touchService: db.prepare<[string, number]>(
      `INSERT INTO services (name, idx) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET idx = excluded.idx`,
    ),
    get: db.prepare<[string], Row>(`SELECT * FROM instances WHERE id = ?`),
    put: db.prepare<[string, string, string, string, number, number]>(
      `INSERT OR REPLACE INTO instances (id, service, registration, health, ttl_ms, expires_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    extend: db.prepare<[number, number, string, number]>(
      `UPDATE instances SET expires_at = ? + ttl_ms * ? WHERE id = ? AND expires_at > ?`,
    ),
    setHealth: db.prepare<[string, string]>(`UPDATE instances SET health = ? WHERE id = ?`),
    delete: db.prepare<[string]>(`DELETE FROM instances WHERE id = ?`),
    byService: db.prepare<[string], Row>(`SELECT * FROM instances WHERE service = ? ORDER BY id`),
    all: db.prepare<[], Row>(`SELECT * FROM instances ORDER BY service, id`),
    expired: db.prepare<[number], { id: string }>(`SELECT id FROM instances WHERE expires_at <= ?`),
    // After a restart every instance gets at least one TTL to reach us again: its heartbeats failed
    // while we were down. One that stays silent is still evicted, one TTL after the start at most.
    grace: db.prepare<[number, number]>(
      `UPDATE instances SET expires_at = ? + ttl_ms WHERE expires_at < ? + ttl_ms`,
    ),
  };

  const bump = (service: string): number => {
    const index = q.nextIndex.get()!.value;
    q.touchService.run(service, index);
    return index;
  };
  const entryOf = (row: Row): RegistryEntry =>
    toEntry(JSON.parse(row.registration) as Registration, row.health);

  const upsert = db.transaction((registration: Registration, health: HealthState): RegistryChange[] => {
    const ttlMs = (registration.ttlSeconds ?? hubDefaults.ttlSeconds) * 1000;
    const json = JSON.stringify(registration);
    const previous = q.get.get(registration.id);
    q.put.run(registration.id, registration.service, json, health, ttlMs, now() + ttlMs * evictAfter);
    // The same registration again is a heartbeat, not a change: watchers are not woken for it.
    if (previous && previous.registration === json && previous.health === health) return [];
    const changes: RegistryChange[] = [];
    if (previous && previous.service !== registration.service)
      changes.push({
        type: 'remove',
        index: bump(previous.service),
        service: previous.service,
        id: previous.id,
      });
    changes.push({ type: 'upsert', index: bump(registration.service), entry: toEntry(registration, health) });
    return changes;
  });

  const remove = db.transaction((id: string): RegistryChange | undefined => {
    const row = q.get.get(id);
    if (!row) return undefined;
    q.delete.run(id);
    return { type: 'remove', index: bump(row.service), service: row.service, id };
  });

  const setHealth = db.transaction((id: string, state: HealthState): RegistryChange[] | undefined => {
    const row = q.get.get(id);
    if (!row) return undefined;
    if (row.health === state) return [];
    q.setHealth.run(state, id);
    return [{ type: 'health', index: bump(row.service), entry: entryOf({ ...row, health: state }) }];
  });

  const sweep = () => {
    if (!db.open) return;
    for (const { id } of q.expired.all(now())) {
      const change = remove(id);
      if (change) listeners.emit(change);
    }
  };
  q.grace.run(now(), now());
  sweep();
  const timer = setInterval(sweep, options.sweepIntervalMs ?? 250);
  timer.unref();

  return {
    name: 'sqlite',
    capabilities: { persistent: options.path !== ':memory:', shared: false },
    async upsert(registration: Registration, upsertOptions: UpsertOptions = {}): Promise<Instance> {
      const health = upsertOptions.health ?? 'passing';
      for (const change of upsert(registration, health)) listeners.emit(change);
      return toEntry(registration, health).instance;
    },
    async heartbeat(id) {
      const at = now();
      return q.extend.run(at, evictAfter, id, at).changes > 0;
    },
    async remove(id) {
      const change = remove(id);
      if (change) listeners.emit(change);
      return change !== undefined;
    },
    async setHealth(id, state) {
      const changes = setHealth(id, state);
      for (const change of changes ?? []) listeners.emit(change);
      return changes !== undefined;
    },
    async list(service) {
      const read = db.transaction(() => {
        const rows = service === undefined ? q.all.all() : q.byService.all(service);
        const known = service === undefined ? undefined : q.serviceIndex.get(service);
        return { index: known?.idx ?? q.index.get()!.value, entries: rows.map(entryOf) };
      });
      return read();
    },
    watch: listeners.add,
    async close() {
      clearInterval(timer);
      listeners.clear();
      if (db.open) db.close();
    },
  };
}

function open(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode loses nothing when the process dies (only on power loss), and keeps writes fast.
    db.pragma('synchronous = NORMAL');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec(schema);
    return db;
  } catch (error) {
    db.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY')
      throw new SwitchyardError('FAILED_PRECONDITION', `${path} is in use by another hub`, { cause: error });
    throw error;
  }
}
