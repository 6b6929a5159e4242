import pino from 'pino';
import type { SwitchyardError } from '../errors/index.js';

export type RelayMode = 'polling' | 'log-tailing' | 'sqlite';

/** What relays, the inbox and the cleaners report; `transactionalMetrics` turns these into Prometheus series. */
export type TransactionalEvent =
  /** Messages the broker confirmed, with each one's time from outbox write to confirmation. */
  | { type: 'relayed'; relay: RelayMode; count: number; lagsMs: readonly number[] }
  /** A batch or a row the broker did not take; the rows stay and are retried after `retryInMs`. */
  | {
      type: 'relay-failed';
      relay: RelayMode;
      error: SwitchyardError;
      retryInMs: number;
      channel?: string;
      messageId?: string;
      attempts?: number;
    }
  | { type: 'leadership'; relay: RelayMode; leader: boolean }
  /** WAL the log-tailing relay's slot still holds for it. */
  | { type: 'replication-lag'; bytes: number }
  | { type: 'inbox-processed'; group: string; messageId: string }
  | { type: 'inbox-duplicate'; group: string; messageId: string }
  | { type: 'cleanup'; table: 'outbox' | 'inbox' | 'operations'; deleted: number };

/** pino's shape (`logger.warn({ details }, 'message')`), so a service's own pino logger fits. */
export interface TransactionalLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

let fallback: TransactionalLogger | undefined;

/** Warnings (failed relays) go to stderr as JSON unless the caller passes its own logger. */
export function defaultLogger(): TransactionalLogger {
  fallback ??= pino({ name: 'switchyard-transactional', level: 'warn' }, pino.destination(2));
  return fallback;
}

export const silentLogger: TransactionalLogger = { warn() {}, info() {} };

export interface Reporting {
  readonly onEvent?: (event: TransactionalEvent) => void;
  readonly logger?: TransactionalLogger;
}

/** One place that fans an event out to the listener and, for failures, to the log. */
export function reporter(options: Reporting): (event: TransactionalEvent) => void {
  const logger = options.logger ?? defaultLogger();
  return (event) => {
    if (event.type === 'relay-failed') {
      const { error, ...rest } = event;
      logger.warn(
        { ...rest, code: error.code, error: error.message, details: error.details },
        'outbox relay failed; retrying',
      );
    } else if (event.type === 'leadership') {
      logger.info({ relay: event.relay, leader: event.leader }, 'outbox relay leadership changed');
    }
    options.onEvent?.(event);
  };
}
