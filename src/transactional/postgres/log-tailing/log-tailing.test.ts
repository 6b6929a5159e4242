import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { silentLogger, type TransactionalEvent } from '../../events.js';
import { spawnChild, type Child } from '../../testing/children.js';
import {
  adminQuery,
  Collector,
  dropPostgres,
  eventually,
  keyed,
  pgConnection,
  testBroker,
  unique,
} from '../../testing/engines.js';
import type { RelayProcessSpec } from '../../testing/relay-process.js';
import { openPostgresStore, type PostgresStore } from '../store.js';
import { byteaFromText, formatLsn, parseLsn } from './pgoutput.js';
import { startLogTailingRelay } from './relay.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => console.error(e));
});

/** A store in its own schema; its slot and publication (named after the schema) are dropped at the end. */
async function open(): Promise<PostgresStore> {
  const schema = unique('tail');
  const store = await openPostgresStore({ connection: pgConnection, schema });
  cleanups.push(async () => {
    await store.close();
    await dropPostgres({ schema, slot: `sy_outbox_${schema}`, publication: `sy_outbox_${schema}` });
  });
  return store;
}

function seqsByKey(
  messages: readonly { headers: Readonly<Record<string, string>> }[],
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { headers } of messages)
    out.set(headers.key!, [...(out.get(headers.key!) ?? []), Number(headers.seq)]);
  return out;
}

describe('pgoutput helpers', () => {
  test('LSNs and bytea text', () => {
    assert.equal(formatLsn(parseLsn('16/B374D848')), '16/B374D848');
    assert.equal(parseLsn('0/1'), 1n);
    assert.deepEqual([...byteaFromText('\\x00ff10')], [0, 255, 16]);
  });
});

describe('log-tailing relay', () => {
  test('relays rows committed before the slot existed, then the stream, in commit order, acknowledging after the broker', async () => {
    const spec = { name: unique('orders'), partitions: 4 };
    const store = await open();
    const b = testBroker('jetstream');
    cleanups.push(() => b.dispose([spec.name]));
    await b.adapter.ensureChannel(spec);
    const collector = new Collector(b.adapter, spec);
    cleanups.push(() => collector.close());

    // Written while no relay (and no slot) exists: the new slot's snapshot hands these over.
    for (let seq = 0; seq < 5; seq++)
      await store.transaction((tx) => tx.outbox.publish([keyed(spec, 'a', seq)]));
    const events: TransactionalEvent[] = [];
    const relay = await startLogTailingRelay({
      store,
      broker: b.another(),
      statusIntervalMs: 200,
      logger: silentLogger,
      onEvent: (e) => events.push(e),
    });
    cleanups.push(() => relay.stop());
    await eventually(
      () => collector.received.length === 5,
      10_000,
      () => `backlog: ${collector.received.length}`,
    );
    assert.ok(relay.leader);

    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.outbox.publish([keyed(spec, 'rolled-back', 0)]);
        throw new Error('no');
      }),
    );
    for (let seq = 5; seq < 40; seq++)
      await store.transaction((tx) => tx.outbox.publish([keyed(spec, 'a', seq), keyed(spec, 'b', seq)]));
    await eventually(
      () => collector.received.length === 75,
      10_000,
      () => `streamed: ${collector.received.length}`,
    );
    const seqs = seqsByKey(collector.received);
    assert.deepEqual(
      seqs.get('a'),
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.deepEqual(
      seqs.get('b'),
      Array.from({ length: 35 }, (_, i) => i + 5),
    );
    assert.ok(!seqs.has('rolled-back'));
    await eventually(
      async () => (await store.backlog()).unpublished === 0,
      10_000,
      () => 'rows marked',
    );

    // The slot's confirmed position reaches the last commit once the broker confirmed it.
    const lsn = (await adminQuery<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`))[0]!.lsn;
    await eventually(
      async () => {
        const [slot] = await adminQuery<{ behind: number }>(
          `SELECT pg_wal_lsn_diff($1::pg_lsn, confirmed_flush_lsn)::float8 AS behind FROM pg_replication_slots WHERE slot_name = $2`,
          [lsn, relay.names.slot],
        );
        return slot !== undefined && slot.behind <= 0;
      },
      10_000,
      () => 'slot acknowledged',
    );
    assert.ok(events.some((e) => e.type === 'relayed' && e.relay === 'log-tailing'));
    assert.ok(events.some((e) => e.type === 'leadership' && e.leader));
  });

  test('a second relay takes over within seconds when the leader is SIGKILLed; the slot is reused', async () => {
    const spec = { name: unique('takeover'), partitions: 8 };
    const store = await open();
    const b = testBroker('redis');
    cleanups.push(() => b.dispose([spec.name]));
    await b.adapter.ensureChannel(spec);
    const collector = new Collector(b.adapter, spec);
    cleanups.push(() => collector.close());
    const relaySpec: RelayProcessSpec = {
      mode: 'log-tailing',
      pgUrl: String(pgConnection.connectionString),
      schema: store.names.schema,
      engine: 'redis',
      prefix: b.prefix,
      channels: [spec],
    };
    const spawnRelay = (): Child => {
      const child = spawnChild('./relay-process.ts', { SWITCHYARD_RELAY: JSON.stringify(relaySpec) });
      cleanups.push(() => child.stop());
      return child;
    };
    const first = spawnRelay();
    await first.waitFor((l) => l.type === 'leadership' && l.leader === true);
    const second = spawnRelay();
    await second.waitFor((l) => l.type === 'started');

    let written = 0;
    const write = async (count: number) => {
      for (let i = 0; i < count; i++, written++)
        await store.transaction((tx) =>
          tx.outbox.publish([keyed(spec, `k${written % 10}`, Math.floor(written / 10))]),
        );
    };
    await write(200);
    await eventually(
      () => collector.received.length >= 100,
      15_000,
      () => `before kill: ${collector.received.length}`,
    );
    await first.kill();
    const killedAt = Date.now();
    await second.waitFor((l) => l.type === 'leadership' && l.leader === true, 15_000);
    const takeoverMs = Date.now() - killedAt;
    assert.ok(takeoverMs < 5_000, `took over after ${takeoverMs} ms`);
    await write(200);
    await eventually(
      () => new Set(collector.ids()).size === 400,
      20_000,
      () => `after take-over: ${new Set(collector.ids()).size} of 400`,
    );
    // The new leader re-publishes what the old one sent after the slot's last acknowledgement (Redis
    // keeps the repeats; the inbox drops them): a repeat may follow, but no message overtakes an
    // earlier one of its key.
    for (const [key, seqs] of seqsByKey(collector.received)) {
      const firsts = seqs.filter((seq, i) => seqs.indexOf(seq) === i);
      assert.deepEqual(
        firsts,
        [...firsts].sort((a, b) => a - b),
        `order of ${key}`,
      );
      assert.deepEqual(
        firsts,
        Array.from({ length: firsts.length }, (_, i) => i),
        `no gap in ${key}`,
      );
    }
    const slots = await adminQuery(`SELECT slot_name FROM pg_replication_slots WHERE slot_name = $1`, [
      `sy_outbox_${store.names.schema}`,
    ]);
    assert.equal(slots.length, 1, 'one slot, reused by the new leader');
  });
});
