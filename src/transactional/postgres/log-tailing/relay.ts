import type { Client } from 'pg';
import type { BrokerAdapter, ChannelSpec } from '../../../messaging/adapter.js';
import { backoffMs, type BackoffSettings } from '../../backoff.js';
import { startCleanup } from '../../cleanup.js';
import { reporter, type Reporting } from '../../events.js';
import { pause, positiveInteger, relayError, type Relay } from '../../relay.js';
import { loadPg } from '../driver.js';
import type { PostgresStore } from '../store.js';
import { leadTerm } from './session.js';
import { dropLogTailing, slotNamesFor, type SlotNames } from './slot.js';

export interface LogTailingRelayOptions extends Reporting {
  readonly store: PostgresStore;
  readonly broker: BrokerAdapter;
  /** Replication slot; default `sy_outbox_<schema>`. Reused across restarts: never one per process. */
  readonly slot?: string;
  /** Publication of the outbox table; default the slot's name. */
  readonly publication?: string;
  /** Most messages per broker publish; default 1000. Transactions are never split across acknowledgements. */
  readonly batchSize?: number;
  /** Received but unpublished messages above which reading from the server pauses; default 20 000. */
  readonly maxBufferedMessages?: number;
  /** How often a standby relay tries to become the leader; default 500 ms. */
  readonly leaderPollMs?: number;
  /** Status updates to the server and replication-lag samples; default 5000 ms. */
  readonly statusIntervalMs?: number;
  readonly retry?: BackoffSettings;
  readonly channels?: readonly ChannelSpec[];
  /** Default 60 s; 0 never. */
  readonly cleanupIntervalMs?: number;
}

export interface LogTailingRelay extends Relay {
  /** Whether this relay holds the leader lock now. */
  readonly leader: boolean;
  readonly names: SlotNames;
}

/**
 * Transaction log tailing: PostgreSQL logical replication (pgoutput) of the outbox table's inserts.
 * Any number of these may run; one is the leader, elected by a session advisory lock, and the others
 * wait on it. When the leader dies its connections close, the server releases the lock, and a standby
 * takes over within `leaderPollMs`, resuming from the slot's last acknowledged position.
 */
export async function startLogTailingRelay(options: LogTailingRelayOptions): Promise<LogTailingRelay> {
  const { store, broker } = options;
  const names = slotNamesFor(store.names, options);
  const batchSize = positiveInteger(options.batchSize ?? 1_000, 'batchSize');
  const maxBuffered = positiveInteger(options.maxBufferedMessages ?? 20_000, 'maxBufferedMessages');
  const leaderPollMs = options.leaderPollMs ?? 500;
  const emit = reporter(options);
  const pg = await loadPg();
  for (const spec of options.channels ?? []) await broker.ensureChannel(spec);
  const stopping = new AbortController();
  const cleanup = startCleanup(store, options.cleanupIntervalMs ?? 60_000, emit);
  let leader = false;
  let lock: Client | undefined;

  /** Connects and tries the lock until it holds it; undefined when stopped first. */
  async function becomeLeader(): Promise<Client | undefined> {
    while (!stopping.signal.aborted) {
      lock ??= await connectLock();
      const held = await lock.query<{ held: boolean }>(`SELECT pg_try_advisory_lock(hashtext($1)) AS held`, [
        `switchyard.log-tailing.${names.slot}`,
      ]);
      if (held.rows[0]?.held) return lock;
      await pause(leaderPollMs, stopping.signal);
    }
    return undefined;
  }

  async function connectLock(): Promise<Client> {
    const client = new pg.Client({
      ...store.connectionConfig(),
      application_name: 'switchyard-outbox-leader',
    });
    client.on('error', () => {
      // seen as a failed query or as the 'end' below
    });
    await client.connect();
    return client;
  }

  const campaign = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      let term: AbortController | undefined;
      let failed = false;
      try {
        const held = await becomeLeader();
        if (!held) break;
        term = new AbortController();
        const ended = term;
        const lost = () => ended.abort();
        held.once('end', lost);
        stopping.signal.addEventListener('abort', lost, { once: true });
        leader = true;
        emit({ type: 'leadership', relay: 'log-tailing', leader: true });
        try {
          await leadTerm(held, {
            store,
            broker,
            names,
            batchSize,
            maxBuffered,
            statusIntervalMs: options.statusIntervalMs ?? 5_000,
            retry: options.retry,
            emit,
            signal: ended.signal,
          });
        } finally {
          held.off('end', lost);
          stopping.signal.removeEventListener('abort', lost);
        }
        failures = 0;
      } catch (thrown) {
        failed = true;
        failures++;
        const retryInMs = backoffMs(failures, options.retry);
        if (!stopping.signal.aborted)
          emit({ type: 'relay-failed', relay: 'log-tailing', error: relayError(thrown), retryInMs });
        await pause(retryInMs, stopping.signal);
      } finally {
        if (leader) {
          leader = false;
          emit({ type: 'leadership', relay: 'log-tailing', leader: false });
        }
        // Closing the lock's connection releases it: a standby may lead while this one backs off.
        if (term || failed) {
          const last = lock;
          lock = undefined;
          await last?.end().catch(() => {});
        }
      }
    }
  })();

  return {
    mode: 'log-tailing',
    names,
    get leader() {
      return leader;
    },
    async stop() {
      stopping.abort();
      await campaign;
      cleanup.stop();
      const last = lock;
      lock = undefined;
      await last?.end().catch(() => {});
    },
  };
}

/**
 * Retires log tailing for a store: ends a walsender still reading the slot, drops the slot (a slot
 * nobody reads keeps all WAL since its position) and the publication. Stop the relays first.
 */
export async function dropLogTailingSlot(
  store: PostgresStore,
  options: { slot?: string; publication?: string } = {},
): Promise<void> {
  const client = await store.pool.connect();
  try {
    await dropLogTailing(client, slotNamesFor(store.names, options));
  } finally {
    client.release();
  }
}
