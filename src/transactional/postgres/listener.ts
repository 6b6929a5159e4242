import type { Client } from 'pg';
import { backoffMs } from '../backoff.js';
import { loadPg } from './driver.js';
import type { PostgresStore } from './store.js';

export interface Listener {
  close(): Promise<void>;
}

/**
 * LISTENs on the outbox's notification channel on a connection of its own and calls `onNotify` for
 * each commit that wrote to the outbox. Reconnects after a lost connection (calling `onNotify` once
 * then, since commits may have been missed meanwhile). Relays also poll, so a dead listener only
 * costs latency.
 */
export async function listenForCommits(store: PostgresStore, onNotify: () => void): Promise<Listener> {
  const pg = await loadPg();
  let closed = false;
  let client: Client | undefined;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ ...store.connectionConfig(), application_name: 'switchyard-outbox-listen' });
    next.on('notification', () => onNotify());
    next.on('error', () => reconnect(next));
    next.on('end', () => reconnect(next));
    try {
      await next.connect();
      await next.query(`LISTEN "${store.names.notifyChannel}"`);
    } catch (error) {
      await next.end().catch(() => {});
      throw error;
    }
    if (closed) return void (await next.end().catch(() => {}));
    client = next;
    failures = 0;
    onNotify();
  };

  const reconnect = (which: Client) => {
    if (closed || client !== which) return;
    client = undefined;
    void which.end().catch(() => {});
    schedule();
  };

  const schedule = () => {
    retry = setTimeout(
      () => {
        connect().catch(() => {
          failures++;
          if (!closed) schedule();
        });
      },
      backoffMs(failures + 1, { maxDelayMs: 5_000 }),
    );
    retry.unref();
  };

  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      const last = client;
      client = undefined;
      await last?.end().catch(() => {});
    },
  };
}
