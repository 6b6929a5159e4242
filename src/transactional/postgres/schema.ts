import type { ClientBase } from 'pg';
import { SwitchyardError } from '../../errors/index.js';
import { quoteIdentifier } from './driver.js';

/** The qualified names of the library's tables in one schema. */
export interface PgNames {
  readonly schema: string;
  readonly quotedSchema: string;
  readonly outbox: string;
  readonly lanes: string;
  readonly inbox: string;
  readonly operations: string;
  readonly migrations: string;
  /** LISTEN/NOTIFY channel the outbox writer signals on commit. */
  readonly notifyChannel: string;
}

export function namesFor(schema: string): PgNames {
  const q = quoteIdentifier(schema, 'schema');
  return {
    schema,
    quotedSchema: q,
    outbox: `${q}.sy_outbox`,
    lanes: `${q}.sy_outbox_lanes`,
    inbox: `${q}.sy_inbox`,
    operations: `${q}.sy_operations`,
    migrations: `${q}.sy_migrations`,
    notifyChannel: `sy_outbox_${schema}`,
  };
}

interface Migration {
  readonly version: number;
  readonly name: string;
  sql(names: PgNames, lanes: number): string;
}

/**
 * Shipped migrations, applied in order, each once per schema. Never edit one that was released:
 * add the next version instead.
 */
const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'outbox, lanes, inbox, operations',
    sql: (n, lanes) => `
CREATE TABLE ${n.outbox} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  lane integer NOT NULL,
  channel text NOT NULL,
  partition integer NOT NULL,
  message_id text NOT NULL,
  headers jsonb NOT NULL,
  body bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX sy_outbox_unpublished ON ${n.outbox} (lane, id) WHERE published_at IS NULL;
CREATE TABLE ${n.lanes} (
  lane integer PRIMARY KEY,
  blocked_until timestamptz,
  last_error text
);
INSERT INTO ${n.lanes} (lane) SELECT generate_series(0, ${lanes - 1});
CREATE TABLE ${n.inbox} (
  consumer_group text NOT NULL,
  message_id text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  result jsonb,
  PRIMARY KEY (consumer_group, message_id)
);
CREATE INDEX sy_inbox_processed_at ON ${n.inbox} (processed_at);
CREATE TABLE ${n.operations} (
  id text PRIMARY KEY,
  kind text NOT NULL,
  status text NOT NULL,
  resource text,
  result jsonb,
  error jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz
);
CREATE INDEX sy_operations_expiry ON ${n.operations} (expires_at) WHERE status = 'PENDING';
CREATE INDEX sy_operations_finished ON ${n.operations} (updated_at) WHERE status <> 'PENDING';
`,
  },
];

export const latestVersion = migrations[migrations.length - 1]!.version;

/**
 * Brings the schema to the latest version in one transaction. A transaction-scoped advisory lock per
 * schema makes concurrent starters wait for each other; whoever comes second finds nothing to do.
 * Returns the versions it applied. `lanes` only matters when the schema is created.
 */
export async function migrate(client: ClientBase, names: PgNames, lanes: number): Promise<number[]> {
  if (!Number.isInteger(lanes) || lanes < 1 || lanes > 4096)
    throw new SwitchyardError('INVALID_ARGUMENT', `lanes must be an integer in 1..4096, not ${lanes}`);
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`switchyard.migrate.${names.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${names.quotedSchema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${names.migrations} (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set(
      (await client.query<{ version: number }>(`SELECT version FROM ${names.migrations}`)).rows.map(
        (r) => r.version,
      ),
    );
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query(m.sql(names, lanes));
      await client.query(`INSERT INTO ${names.migrations} (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
  return applied;
}
