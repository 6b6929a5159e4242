/**
 * Transactional messaging: the outbox (messages written in the business transaction and relayed to the
 * broker by a polling publisher, PostgreSQL log tailing, or the SQLite relay), the inbox (processed ids
 * recorded with the handler's effect), pending operations confirmed after the response, and their
 * Prometheus metrics. See docs/transactional.md.
 */
export type {
  Backlog,
  CleanupResult,
  MessageSink,
  OperationRecord,
  OutboxTransaction,
  Retention,
  TransactionalStore,
} from './types.js';
export {
  openPostgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
  type PostgresTransaction,
} from './postgres/store.js';
export { startPollingRelay, type PollingRelayOptions } from './postgres/polling-relay.js';
export {
  dropLogTailingSlot,
  startLogTailingRelay,
  type LogTailingRelay,
  type LogTailingRelayOptions,
} from './postgres/log-tailing/relay.js';
export {
  openSqliteStore,
  type SqliteStore,
  type SqliteStoreOptions,
  type SqliteTransaction,
} from './sqlite/store.js';
export { startSqliteRelay, type SqliteRelayOptions } from './sqlite/relay.js';
export {
  openStore,
  startRelay,
  type OpenStoreOptions,
  type ServiceStore,
  type ServiceTransaction,
} from './connect.js';
export {
  createInbox,
  type Inbox,
  type InboxOptions,
  type InboxOutcome,
  type TransactionalHandler,
} from './inbox.js';
export {
  pendingOperations,
  type Accepted,
  type OperationStatus,
  type PendingOperations,
  type PendingOperationsOptions,
} from './pending/operations.js';
export { operationStatusHandler } from './pending/http.js';
export { transactionalMetrics, type TransactionalMetrics } from './metrics.js';
export { silentLogger, type RelayMode, type TransactionalEvent, type TransactionalLogger } from './events.js';
export type { Relay } from './relay.js';
export type { BackoffSettings } from './backoff.js';
export { laneFor } from './lanes.js';
