import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SwitchyardError } from '../errors/index.js';
import type { BrokerAdapter } from '../messaging/adapter.js';
import { fileAndDurability } from '../internal/wal-sync.js';
import type { Reporting } from './events.js';
import { startPollingRelay } from './postgres/polling-relay.js';
import { openPostgresStore, type PostgresStore, type PostgresTransaction } from './postgres/store.js';
import type { Relay } from './relay.js';
import { startSqliteRelay } from './sqlite/relay.js';
import { openSqliteStore, type SqliteStore, type SqliteTransaction } from './sqlite/store.js';

/** A service's own database with its outbox, inbox and operations tables, on either engine. */
export type ServiceStore = SqliteStore | PostgresStore;
/** A transaction of either engine: code written for both narrows it by the store's `dialect`. */
export type ServiceTransaction = SqliteTransaction | PostgresTransaction;

export interface OpenStoreOptions {
  /** PostgreSQL schema of the library's tables (and, by convention, of the service's own). */
  readonly schema?: string;
}

/**
 * The store a URL names, so a service's database is one string of its manifest or environment:
 * `sqlite:<file>` (its folder created if missing; `?durability=interval` fsyncs it every second rather
 * than at every commit) or `postgres://…` / `postgresql://…`.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<ServiceStore> {
  if (url.startsWith('sqlite:')) {
    const { file, durability } = fileAndDurability(url.slice('sqlite:'.length));
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    return openSqliteStore({ file, ...(durability ? { durability } : {}) });
  }
  if (/^postgres(ql)?:\/\//.test(url))
    return openPostgresStore({
      connection: { connectionString: url },
      ...(options.schema ? { schema: options.schema } : {}),
    });
  throw new SwitchyardError('INVALID_ARGUMENT', `Not a database URL: ${url} (sqlite:<file> or postgres://…)`);
}

/** The relay that suits the store: the SQLite relay, or the PostgreSQL polling publisher. */
export function startRelay(
  store: ServiceStore,
  broker: BrokerAdapter,
  reporting: Reporting = {},
): Promise<Relay> {
  return store.dialect === 'sqlite'
    ? startSqliteRelay({ store, broker, ...reporting })
    : startPollingRelay({ store, broker, ...reporting });
}
