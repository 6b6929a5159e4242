import type { ClientBase } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { quoteIdentifier } from '../driver.js';
import type { PgNames } from '../schema.js';

export interface SlotNames {
  readonly slot: string;
  readonly publication: string;
}

export function slotNamesFor(names: PgNames, options: Partial<SlotNames>): SlotNames {
  const slot = options.slot ?? `sy_outbox_${names.schema}`;
  const publication = options.publication ?? slot;
  quoteIdentifier(slot, 'slot');
  quoteIdentifier(publication, 'publication');
  return { slot, publication };
}

/** The publication of the outbox table's inserts, created once (before the slot: pgoutput looks it up then). */
export async function ensurePublication(
  client: ClientBase,
  names: PgNames,
  publication: string,
): Promise<void> {
  const exists = await client.query(`SELECT 1 FROM pg_publication WHERE pubname = $1`, [publication]);
  if (exists.rowCount === 0)
    await client
      .query(`CREATE PUBLICATION "${publication}" FOR TABLE ${names.outbox} WITH (publish = 'insert')`)
      .catch(async (error: unknown) => {
        // Another relay created it between the check and here.
        const again = await client.query(`SELECT 1 FROM pg_publication WHERE pubname = $1`, [publication]);
        if (again.rowCount === 0) throw error;
      });
}

export interface SlotState {
  readonly exists: boolean;
  readonly activePid: number | null;
  /** Where streaming resumes: the last position a relay acknowledged. */
  readonly confirmed: string | null;
}

export async function slotState(client: ClientBase, slot: string): Promise<SlotState> {
  const row = (
    await client.query<{ active_pid: number | null; confirmed: string | null }>(
      `SELECT active_pid, confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1`,
      [slot],
    )
  ).rows[0];
  return { exists: row !== undefined, activePid: row?.active_pid ?? null, confirmed: row?.confirmed ?? null };
}

/**
 * A slot still held by a relay that lost the leader lock (its process died and the server has not
 * noticed yet, or it hangs): give it `graceMs` to go, then end its walsender so this leader can stream.
 */
export async function freeSlot(client: ClientBase, slot: string, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const { activePid } = await slotState(client, slot);
    if (activePid === null) return;
    if (Date.now() >= deadline) await client.query(`SELECT pg_terminate_backend($1)`, [activePid]);
    await sleep(50);
  }
}

/**
 * Drops the log-tailing relay's slot and publication (when retiring log tailing, or in tests): a slot
 * nobody reads keeps every WAL segment since its position, until the disk fills. Ends a walsender
 * still attached to the slot first.
 */
export async function dropLogTailing(client: ClientBase, names: SlotNames): Promise<void> {
  for (;;) {
    const { exists, activePid } = await slotState(client, names.slot);
    if (!exists) break;
    if (activePid !== null) {
      await client.query(`SELECT pg_terminate_backend($1)`, [activePid]);
      await sleep(50);
      continue;
    }
    await client.query(`SELECT pg_drop_replication_slot($1)`, [names.slot]).catch(() => {});
  }
  await client.query(`DROP PUBLICATION IF EXISTS "${names.publication}"`);
}
