import { setTimeout as sleep } from 'node:timers/promises';
import { databaseOf, readManifest } from 'switchyard/cli';
import { openStore, type ServiceStore } from 'switchyard/transactional';
import { mintDevToken } from '../auth/dev-tokens.js';
import { cli } from '../testing.js';

/** What a scenario gets: the running shop, seen from outside as a client and an operator would. */
export interface Shop {
  /** The gateway's base URL. */
  readonly url: string;
  readonly manifest: string;
  /** Prints a step of the story. */
  say(line: string): void;
  /** Request headers with a bearer token for `subject`. */
  as(subject: string): Promise<Record<string, string>>;
  /** `POST /v2/orders` for a consumer (token of the same subject); the answer and its status. */
  order(consumerId: string, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** Polls `GET /v2/orders/:id` until the order left PENDING or `ms` passed. */
  settled(orderId: string, ms?: number): Promise<{ status: string; rejectionReason?: string }>;
  /** The rows of `switchyard status --json`. */
  status(): Promise<StatusRow[]>;
  /** Sends a signal to one process of the system (`accounting-1`, `orders-relay`…). */
  signal(process: string, signal: NodeJS.Signals): Promise<void>;
  /** Resolves once `process` runs again (a new pid) and is ready. */
  restarted(process: string, oldPid: number, ms?: number): Promise<void>;
  /**
   * Runs SQL on a service's own database, as its operator would: `sy_outbox` and `sy_inbox` name the
   * library's tables on either engine, `?` its parameters, `text(body)` a message body as text.
   */
  sql(service: string, statement: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Closes what `sql` opened. */
  close(): Promise<void>;
}

export interface StatusRow {
  readonly name: string;
  readonly state: string;
  readonly pid: number | null;
  readonly restarts: number;
  readonly outboxBacklog: number | null;
  /** Calls the process served since it started. */
  readonly requests: number | null;
}

export interface Scenario {
  readonly description: string;
  run(shop: Shop): Promise<void>;
}

export const defineScenario = (scenario: Scenario): Scenario => scenario;

const line = { menuItemId: 'naan', quantity: 1, unitPrice: 300 };

/** `env`: the engine variables `up` was started with, so `sql` finds the same databases. */
export function shopOf(
  url: string,
  manifest: string,
  say: (line: string) => void,
  env: Record<string, string> = {},
): Shop {
  const tokens = new Map<string, Record<string, string>>();
  // One connection per service database for the whole run, not one per statement.
  const stores: Record<string, Promise<ServiceStore>> = {};
  const shop: Shop = {
    url,
    manifest,
    say,
    async as(subject) {
      let headers = tokens.get(subject);
      if (!headers) {
        const token = await mintDevToken({ subject });
        tokens.set(
          subject,
          (headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }),
        );
      }
      return headers;
    },
    async order(consumerId, headers) {
      const response = await fetch(`${url}/v2/orders`, {
        method: 'POST',
        headers: headers ?? (await shop.as(consumerId)),
        body: JSON.stringify({ consumerId, restaurantId: 'r-ajanta', lineItems: [line] }),
      });
      return { status: response.status, body: await response.json() };
    },
    async settled(orderId, ms = 20_000) {
      const headers = await shop.as('c-alice');
      const deadline = Date.now() + ms;
      for (;;) {
        const order = (await (await fetch(`${url}/v2/orders/${orderId}`, { headers })).json()) as {
          status: string;
          rejectionReason?: string;
        };
        if (order.status !== 'PENDING' || Date.now() > deadline) return order;
        await sleep(50);
      }
    },
    async status() {
      const child = cli(['status', manifest, '--json']);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const code = await new Promise((done) => child.once('exit', done));
      if (code !== 0) throw new Error(`switchyard status exited ${String(code)}`);
      return JSON.parse(out) as StatusRow[];
    },
    async signal(name, signal) {
      const row = (await shop.status()).find((r) => r.name === name);
      if (!row?.pid) throw new Error(`no running process ${name}`);
      process.kill(row.pid, signal);
    },
    async sql(service, statement, params = []) {
      const store = await (stores[service] ??= (() => {
        const { url, schema } = databaseOf(readManifest(manifest), service, { ...process.env, ...env });
        return openStore(url, { schema });
      })());
      if (store.dialect === 'sqlite') {
        const prepared = store.db.prepare(statement.replaceAll(/text\((\w+)\)/g, 'CAST($1 AS TEXT)'));
        if (!prepared.reader) return (prepared.run(...params), []);
        return prepared.all(...params) as Record<string, unknown>[];
      }
      let n = 0;
      const text = statement
        .replaceAll('sy_outbox', store.names.outbox)
        .replaceAll('sy_inbox', store.names.inbox)
        .replaceAll(/text\((\w+)\)/g, "convert_from($1, 'UTF8')")
        .replaceAll('?', () => `$${++n}`);
      return (await store.pool.query(text, params)).rows as Record<string, unknown>[];
    },
    async close() {
      for (const store of Object.values(stores)) await (await store).close();
    },
    async restarted(name, oldPid, ms = 30_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const row = (await shop.status()).find((r) => r.name === name);
        if (row?.pid && row.pid !== oldPid && row.state === 'ready') return;
        if (Date.now() > deadline) throw new Error(`${name} did not come back within ${ms} ms`);
        await sleep(200);
      }
    },
  };
  return shop;
}

/** A failed expectation of a scenario, with what was seen. */
export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
