/**
 * What the outbox costs a writer: a business insert plus its outbox row in one transaction, against
 * the same business insert alone, at 16 concurrent writers on the same PostgreSQL.
 */
import { partitionFor } from '../../src/messaging/partition.js';
import { benchStore, bodyBytes } from '../../src/transactional/testing/bench-support.js';
import type { BenchCase, BenchGroup } from '../case.js';
import { compareAsync, spread } from '../measure.js';

const group = 'outbox';
const writers = 16;

export const cases: BenchCase[] = [
  {
    name: 'outbox: business insert + outbox write vs insert alone (16 writers)',
    group,
    unit: 'tx/s',
    higherIsBetter: true,
    goal: { minRatio: 0.7, description: 'the outbox costs under 30% of the insert-only transaction rate' },
    async run() {
      const { store, dispose } = await benchStore(writers + 2);
      try {
        const orders = `"${store.names.schema}".orders`;
        await store.pool.query(
          `CREATE TABLE ${orders} (id bigserial PRIMARY KEY, customer text, total numeric)`,
        );
        // Flush what earlier cases left dirty (100k-row drains): a checkpoint mid-run slows commits
        // unevenly and skews the ratio. Needs superuser or pg_checkpoint; skipped otherwise.
        await store.pool.query('CHECKPOINT').catch(() => undefined);
        const body = Buffer.alloc(bodyBytes, 0xab);
        let n = 0;
        const insert = (tx: { query(sql: string, values: unknown[]): Promise<unknown> }) =>
          tx.query(`INSERT INTO ${orders} (customer, total) VALUES ($1, $2)`, [`c${n++ % 1000}`, 12.5]);
        const result = await compareAsync(
          {
            switchyard: () =>
              store.transaction(async (tx) => {
                await insert(tx);
                const key = `o${n}`;
                await tx.outbox.publish([
                  {
                    channel: 'orders.events',
                    partition: partitionFor(key, 8),
                    id: `m${n}`,
                    headers: { 'ce-type': 'orders.orderCreated', 'ce-partitionkey': key },
                    body,
                  },
                ]);
              }),
            baseline: () => store.transaction((tx) => insert(tx)),
          },
          { rounds: 4, durationMs: 2_000, warmupMs: 1_000, concurrency: writers },
        );
        return {
          switchyard: result.switchyard,
          baseline: result.baseline,
          baselineName: 'the same insert alone in the same transaction runner (pg, synchronous_commit on)',
          notes: `round ratios ${spread(result.roundRatios)}; ${bodyBytes}-byte bodies, no NOTIFY (the default)`,
        };
      } finally {
        await dispose();
      }
    },
  },
];

export const groups: BenchGroup[] = [
  {
    name: group,
    about:
      'The transactional outbox on the local PostgreSQL (a fresh schema per run). Write cost: a business ' +
      'insert with and without its outbox row in the same transaction. Relays: a backlog of 100 000 ' +
      'committed rows drained into the broker, against the raw client publishing as many messages with ' +
      'confirms into the same topology, in three alternating rounds per side, each on a fresh channel, ' +
      'reported as medians. Latency: commit to consumer at half the measured commit rate.',
  },
];
